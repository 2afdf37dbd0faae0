//! Page images at screen size: derived once from the stored 300-dpi page and
//! cached in `ARCHIVE/derivatives/`, named by the page image's hash and width.
//!
//! Rendering decodes a whole page (tens of MB), so renders take turns: a few
//! at a time, one per image and width (the others wait for its file), and a
//! request that would queue behind too many is told to come back later.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// Widths served: a thumbnail and a reading size. Anything else is refused,
/// so a client cannot fill the cache with arbitrary sizes.
pub const THUMB: u32 = 320;
pub const SCREEN: u32 = 1400;

/// Renders of different images that may wait for their turn before
/// requests for others are turned away.
const QUEUE: usize = 32;

/// One render per key at a time: by image and width, the lock its renders
/// take turns on and how many requests hold or wait for it.
type InFlight = Arc<Mutex<HashMap<String, (Arc<tokio::sync::Mutex<()>>, usize)>>>;

#[derive(Debug)]
pub struct Derivatives {
    dir: PathBuf,
    /// Renders running at once.
    running: Arc<Semaphore>,
    /// Renders of different images waiting for their turn.
    waiting: Arc<AtomicUsize>,
    in_flight: InFlight,
}

/// Too many renders are waiting: come back in a moment.
#[derive(Debug)]
pub struct Busy;

/// The right to render one image at one width; others asking for the same
/// wait until it is dropped, then find the file cached.
pub struct Turn {
    _render: OwnedMutexGuard<()>,
    _running: OwnedSemaphorePermit,
    _claim: Claim,
}

/// A request's hold on a key of the in-flight map, from the moment it asks
/// (so a request given up while waiting lets go too); the key leaves the map
/// with the last.
struct Claim {
    key: String,
    in_flight: InFlight,
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut in_flight = self.in_flight.lock().expect("not poisoned");
        if let Some((_, holders)) = in_flight.get_mut(&self.key) {
            *holders -= 1;
            if *holders == 0 {
                in_flight.remove(&self.key);
            }
        }
    }
}

/// Counts a request among the waiting while it lives, however it ends.
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Derivatives {
    /// Derivatives cached in `dir`, rendered `parallel` at a time.
    pub fn new(dir: PathBuf, parallel: usize) -> Derivatives {
        Derivatives {
            dir,
            running: Arc::new(Semaphore::new(parallel.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            in_flight: Arc::default(),
        }
    }

    /// The cached JPEG if there is one.
    pub fn cached(&self, sha256: &str, width: u32) -> Option<Vec<u8>> {
        std::fs::read(self.path(sha256, width)).ok()
    }

    /// Waits for the turn to render this image at this width; [`Busy`] at
    /// once when too many requests wait already. Look in the cache again
    /// after it: the request before may have made the file.
    pub async fn turn(&self, sha256: &str, width: u32) -> Result<Turn, Busy> {
        let key = format!("{sha256}-{width}");
        let (lock, _waiting) = {
            let mut in_flight = self.in_flight.lock().expect("not poisoned");
            match in_flight.get_mut(&key) {
                // A render of this image is under way or queued: waiting for
                // its file costs nothing, so it is not counted.
                Some((lock, holders)) => {
                    *holders += 1;
                    (lock.clone(), None)
                }
                None => {
                    if self.waiting.fetch_add(1, Ordering::SeqCst) >= QUEUE {
                        self.waiting.fetch_sub(1, Ordering::SeqCst);
                        return Err(Busy);
                    }
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    in_flight.insert(key.clone(), (lock.clone(), 1));
                    (lock, Some(Waiting(self.waiting.clone())))
                }
            }
        };
        let claim = Claim {
            key,
            in_flight: self.in_flight.clone(),
        };
        let render = lock.lock_owned().await;
        let running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        Ok(Turn {
            _render: render,
            _running: running,
            _claim: claim,
        })
    }

    /// Renders the derivative from the stored page image and caches it
    /// (owner-only: these are the candidates' documents).
    pub fn render(&self, sha256: &str, width: u32, original: &[u8]) -> Result<Vec<u8>> {
        let image = image::load_from_memory(original).context("decoding the stored page image")?;
        let target = width.min(image.width()).max(1);
        let height =
            ((image.height() as u64 * target as u64) / image.width().max(1) as u64).max(1) as u32;
        // Grey pages stay grey: a third of the bytes of RGB at the same quality.
        let resized = if image.color().has_color() {
            image::DynamicImage::ImageRgb8(image::imageops::resize(
                &image.to_rgb8(),
                target,
                height,
                image::imageops::FilterType::Triangle,
            ))
        } else {
            image::DynamicImage::ImageLuma8(image::imageops::resize(
                &image.to_luma8(),
                target,
                height,
                image::imageops::FilterType::Triangle,
            ))
        };
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
            .encode_image(&resized)
            .context("encoding the page image")?;
        self.keep(&self.path(sha256, width), &jpeg)?;
        Ok(jpeg)
    }

    /// Writes `bytes` to `path` through a temporary file of its own (mode
    /// 0600), in a folder only the archive's owner can enter.
    fn keep(&self, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let mut folder = std::fs::DirBuilder::new();
        folder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
        folder
            .create(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // A folder made before derivatives were owner-only.
            let mode = std::fs::metadata(&self.dir)?.permissions().mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir)
            .with_context(|| format!("writing in {}", self.dir.display()))?;
        temp.write_all(bytes)?;
        temp.persist(path)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    fn path(&self, sha256: &str, width: u32) -> PathBuf {
        self.dir.join(format!("{sha256}-{width}.jpg"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Vec<u8> {
        let grey =
            image::GrayImage::from_fn(2480, 3508, |x, y| image::Luma([((x ^ y) & 255) as u8]));
        let mut png = Vec::new();
        image::DynamicImage::ImageLuma8(grey)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        png
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_page_asked_for_at_once_is_rendered_once_into_an_owner_only_file() {
        let dir = tempfile::tempdir().unwrap();
        let images = Arc::new(Derivatives::new(dir.path().join("derivatives"), 2));
        let original = Arc::new(page());
        let rendered = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (images, original, rendered) = (images.clone(), original.clone(), rendered.clone());
            tasks.push(tokio::spawn(async move {
                let _turn = images.turn("abc", SCREEN).await.unwrap();
                if let Some(jpeg) = images.cached("abc", SCREEN) {
                    return jpeg;
                }
                rendered.fetch_add(1, Ordering::SeqCst);
                let images2 = images.clone();
                tokio::task::spawn_blocking(move || images2.render("abc", SCREEN, &original))
                    .await
                    .unwrap()
                    .unwrap()
            }));
        }
        let mut sizes = Vec::new();
        for task in tasks {
            sizes.push(task.await.unwrap().len());
        }
        assert_eq!(rendered.load(Ordering::SeqCst), 1);
        assert!(sizes.iter().all(|&n| n == sizes[0] && n > 1000));
        assert!(
            images.in_flight.lock().unwrap().is_empty(),
            "nothing left waiting"
        );
        let files: Vec<_> = std::fs::read_dir(dir.path().join("derivatives"))
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        assert_eq!(files.len(), 1, "no temporary file left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&files[0].path()), 0o600);
            assert_eq!(mode(&dir.path().join("derivatives")), 0o700);
        }
    }

    #[tokio::test]
    async fn past_the_queue_a_request_is_turned_away_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let images = Arc::new(Derivatives::new(dir.path().to_owned(), 1));
        let first = images.turn("a", THUMB).await.unwrap();
        // Everyone else waits behind the one render allowed...
        let mut waiting = Vec::new();
        for n in 0..QUEUE {
            let images = images.clone();
            waiting.push(tokio::spawn(async move {
                images.turn(&format!("p{n}"), THUMB).await.map(drop)
            }));
        }
        while images.waiting.load(Ordering::SeqCst) < QUEUE {
            tokio::task::yield_now().await;
        }
        // ...until the queue is full.
        assert!(images.turn("late", THUMB).await.is_err());
        drop(first);
        for task in waiting {
            assert!(task.await.unwrap().is_ok());
        }
        assert_eq!(images.waiting.load(Ordering::SeqCst), 0);
        assert!(images.turn("late", THUMB).await.is_ok());
    }
}
