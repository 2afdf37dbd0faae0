//! The S3-compatible backend: objects and refs as keys in one bucket, under an optional prefix.
//!
//! Every upload carries its SHA-256 so the server checks the bytes on arrival;
//! objects are first looked up with HEAD, so re-running a batch sends nothing
//! but HEADs. S3 makes a PUT visible only once it is complete, and multipart
//! uploads are aborted on failure, so an interrupted upload never shows up as
//! a stored object. Retries (standard mode: exponential backoff with jitter)
//! cover throttling, timeouts, dropped connections and 5xx answers.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::ResponseChecksumValidation;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ObjectLockLegalHoldStatus,
    ObjectLockMode,
};
use base64::Engine as _;
use bytes::Bytes;

use super::{Backend, Put, local::check_name};
use crate::{Digest, Error, Result, sha256};

/// Object Lock settings applied to every stored object (never to refs, which must stay mutable).
#[derive(Debug, Clone, Default)]
pub struct Retention {
    /// Retain each object until this time (seconds since the Unix epoch).
    pub until: Option<i64>,
    /// `true` for compliance mode (nobody can shorten it), `false` for governance mode.
    pub compliance: bool,
    /// Place a legal hold on each object.
    pub legal_hold: bool,
}

/// How to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Options {
    pub bucket: String,
    /// Key prefix inside the bucket, empty or ending in `/`.
    pub prefix: String,
    /// Path-style addressing (`http://host/bucket/key`), for MinIO, Garage and most local servers.
    pub path_style: bool,
    pub retention: Retention,
    /// Objects at least this large go up in parts.
    pub multipart_threshold: usize,
    pub part_size: usize,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Longest wait for any one attempt; a stalled server is given up on after this.
    pub attempt_timeout: Duration,
}

impl S3Options {
    /// Parses `s3://BUCKET[/PREFIX]`.
    pub fn from_url(url: &str) -> Result<S3Options> {
        let invalid = |reason: &str| Error::Invalid {
            what: format!("store URL '{url}'"),
            reason: reason.into(),
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| invalid("it must start with s3://"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'));
        if !bucket_ok {
            return Err(invalid(
                "the bucket name must be 3 to 63 lowercase letters, digits, '-' or '.'",
            ));
        }
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() {
            check_name(prefix, "store prefix")?;
        }
        Ok(S3Options {
            bucket: bucket.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            path_style: false,
            retention: Retention::default(),
            multipart_threshold: 16 << 20,
            part_size: 8 << 20,
            max_attempts: 8,
            attempt_timeout: Duration::from_secs(120),
        })
    }
}

/// Objects in an S3 bucket.
#[derive(Debug, Clone)]
pub struct S3 {
    client: Client,
    options: S3Options,
}

impl S3 {
    /// A client configured from the standard AWS chain (`AWS_ENDPOINT_URL`,
    /// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_PROFILE`, ...). Sends no request.
    pub async fn connect(options: S3Options) -> S3 {
        use aws_config::meta::region::RegionProviderChain;
        // Local servers rarely care about the region, but signing needs one.
        let region = RegionProviderChain::default_provider().or_else("us-east-1");
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(region)
            .load()
            .await;
        S3::from_config(&shared, options)
    }

    /// A client from an explicit SDK configuration (endpoint, region, credentials),
    /// with this backend's retries, timeouts and addressing on top.
    pub fn from_config(shared: &aws_config::SdkConfig, options: S3Options) -> S3 {
        let retry = aws_config::retry::RetryConfig::standard()
            .with_max_attempts(options.max_attempts)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_secs(10));
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(options.attempt_timeout)
            .build();
        let config = aws_sdk_s3::config::Builder::from(shared)
            // Every object is named by its SHA-256 and re-hashed on every
            // read. The SDK's own check of a stored checksum would fail a
            // damaged object's read before that, as a bare streaming error:
            // left to dossier, it is named `modified` with both digests.
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .force_path_style(options.path_style)
            .retry_config(retry)
            .timeout_config(timeouts)
            .build();
        S3 {
            client: Client::from_conf(config),
            options,
        }
    }

    /// The underlying client, for tests and tools that inspect the bucket.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn options(&self) -> &S3Options {
        &self.options
    }

    /// The bucket key of an object.
    pub fn object_key(&self, key: &str) -> Result<String> {
        check_name(key, "object key")?;
        Ok(format!("{}objects/{key}", self.options.prefix))
    }

    fn ref_key(&self, name: &str) -> Result<String> {
        check_name(name, "ref name")?;
        Ok(format!("{}refs/{name}", self.options.prefix))
    }

    /// Deletes a bucket key; S3 answers a DELETE of an absent key with success too.
    async fn delete_key(&self, key: &str) -> Result<()> {
        self.client
            .delete_object()
            .bucket(&self.options.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| failed("DELETE", &self.options.bucket, key, e))?;
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<Option<u64>> {
        Ok(self
            .head_of(key)
            .await?
            .map(|head| head.content_length().unwrap_or(0).max(0) as u64))
    }

    /// A HEAD answer, or `None` if the key is absent.
    async fn head_of(&self, key: &str) -> Result<Option<HeadObjectOutput>> {
        let answer = self
            .client
            .head_object()
            .bucket(&self.options.bucket)
            .key(key)
            .send()
            .await;
        match answer {
            Ok(head) => Ok(Some(head)),
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) => Err(failed("HEAD", &self.options.bucket, key, e)),
        }
    }

    async fn fetch(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.fetch_whole(key).await?.map(|(bytes, _)| bytes))
    }

    /// The bytes and ETag of `key`, or `None` if absent.
    async fn fetch_tagged(&self, key: &str) -> Result<Option<(Vec<u8>, Option<String>)>> {
        let answer = self
            .client
            .get_object()
            .bucket(&self.options.bucket)
            .key(key)
            .send()
            .await;
        let object = match answer {
            Ok(object) => object,
            Err(e) if status(&e) == Some(404) => return Ok(None),
            Err(e) => return Err(failed("GET", &self.options.bucket, key, e)),
        };
        let etag = object.e_tag().map(str::to_owned);
        match object.body.collect().await {
            Ok(body) => Ok(Some((body.into_bytes().to_vec(), etag))),
            Err(e) => Err(Error::Unreadable {
                key: key.to_owned(),
                reason: format!("the body broke off: {}", DisplayErrorContext(&e)),
            }),
        }
    }

    /// [`S3::fetch_tagged`], tried again when the body breaks off: a dropped
    /// connection mid-body is often passing, and the SDK retries only
    /// requests, not bodies. An object that never arrives whole is unreadable.
    async fn fetch_whole(&self, key: &str) -> Result<Option<(Vec<u8>, Option<String>)>> {
        const TRIES: u32 = 3;
        let mut attempt = 1;
        loop {
            match self.fetch_tagged(key).await {
                Err(Error::Unreadable { reason, .. }) if attempt < TRIES => {
                    tracing::warn!("GET {key}: {reason}; trying again");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// A PUT of `bytes` to `key`, with their SHA-256 for the server to check.
    fn put_request(&self, key: &str, bytes: Bytes, digest: &Digest) -> PutObjectFluentBuilder {
        self.client
            .put_object()
            .bucket(&self.options.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            // Object Lock buckets insist on the algorithm header as well as the value.
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(base64(digest))
    }

    /// A single PUT. `exclusive` asks the server to refuse it if the key exists.
    async fn put_once(
        &self,
        key: &str,
        bytes: Bytes,
        digest: &Digest,
        exclusive: bool,
    ) -> Result<Put> {
        let retention = &self.options.retention;
        let mut request = self.put_request(key, bytes, digest);
        if exclusive {
            request = request.if_none_match("*");
            if let Some(until) = retention.until {
                request = request
                    .object_lock_mode(lock_mode(retention))
                    .object_lock_retain_until_date(DateTime::from_secs(until));
            }
            if retention.legal_hold {
                request = request.object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On);
            }
        }
        match request.send().await {
            Ok(_) => Ok(Put::Stored),
            // Someone stored it first (another run, or a retried attempt that
            // had in fact arrived): content addressing makes that the same object.
            Err(e) if exclusive && status(&e) == Some(412) => Ok(Put::Existed),
            Err(e) => Err(failed("PUT", &self.options.bucket, key, e)),
        }
    }

    /// A multipart upload, each part with its own SHA-256; aborted on any failure
    /// so no partial object is ever visible.
    async fn put_multipart(&self, key: &str, bytes: Bytes) -> Result<Put> {
        let retention = &self.options.retention;
        let mut create = self
            .client
            .create_multipart_upload()
            .bucket(&self.options.bucket)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Sha256);
        if let Some(until) = retention.until {
            create = create
                .object_lock_mode(lock_mode(retention))
                .object_lock_retain_until_date(DateTime::from_secs(until));
        }
        if retention.legal_hold {
            create = create.object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On);
        }
        let upload = create
            .send()
            .await
            .map_err(|e| failed("CreateMultipartUpload", &self.options.bucket, key, e))?;
        let upload_id = upload
            .upload_id()
            .ok_or_else(|| Error::Backend(format!("CreateMultipartUpload {key}: no upload id")))?
            .to_owned();
        let result = self.upload_parts(key, bytes, &upload_id).await;
        if result.is_err() {
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.options.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }

    async fn upload_parts(&self, key: &str, bytes: Bytes, upload_id: &str) -> Result<Put> {
        let mut parts = Vec::new();
        let part_size = self.options.part_size.max(5 << 20);
        for (i, start) in (0..bytes.len()).step_by(part_size).enumerate() {
            // A slice of the shared bytes, not a copy of the part.
            let chunk = bytes.slice(start..bytes.len().min(start + part_size));
            let number = i as i32 + 1;
            let checksum = base64(&sha256(&chunk));
            let part = self
                .client
                .upload_part()
                .bucket(&self.options.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(chunk))
                .checksum_sha256(&checksum)
                .send()
                .await
                .map_err(|e| failed("UploadPart", &self.options.bucket, key, e))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(part.e_tag().map(str::to_owned))
                    .checksum_sha256(checksum)
                    .build(),
            );
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.options.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| failed("CompleteMultipartUpload", &self.options.bucket, key, e))?;
        Ok(Put::Stored)
    }

    /// Every key under `prefix`, paginated.
    async fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.options.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed("LIST", &self.options.bucket, prefix, e))?;
            for object in page.contents() {
                if let Some(key) = object.key().and_then(|k| k.strip_prefix(prefix)) {
                    out.push(key.to_owned());
                }
            }
        }
        Ok(out)
    }
}

fn lock_mode(retention: &Retention) -> ObjectLockMode {
    if retention.compliance {
        ObjectLockMode::Compliance
    } else {
        ObjectLockMode::Governance
    }
}

fn base64(digest: &Digest) -> String {
    base64::engine::general_purpose::STANDARD.encode(digest.0)
}

fn status<E>(error: &SdkError<E, HttpResponse>) -> Option<u16> {
    error.raw_response().map(|r| r.status().as_u16())
}

fn failed<E>(op: &str, bucket: &str, key: &str, error: SdkError<E, HttpResponse>) -> Error
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
{
    let detail = match (error.code(), status(&error)) {
        (Some(code), _) => format!("{code}: {}", error.message().unwrap_or("no message")),
        // HEAD answers have no body to name the error: the status says it all.
        (None, Some(status)) => format!("HTTP {status}"),
        (None, None) => DisplayErrorContext(&error).to_string(),
    };
    Error::Backend(format!("{op} s3://{bucket}/{key}: {detail}"))
}

#[async_trait]
impl Backend for S3 {
    async fn put(&self, key: &str, bytes: Bytes, sha256: &Digest) -> Result<Put> {
        let key = self.object_key(key)?;
        // HEAD first: a re-run then costs one small request per object, and
        // servers that ignore If-None-Match never see a second copy.
        if self.exists(&key).await?.is_some() {
            return Ok(Put::Existed);
        }
        if bytes.len() >= self.options.multipart_threshold {
            self.put_multipart(&key, bytes).await
        } else {
            self.put_once(&key, bytes, sha256, true).await
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.fetch(&self.object_key(key)?).await
    }

    async fn head(&self, key: &str) -> Result<Option<u64>> {
        self.exists(&self.object_key(key)?).await
    }

    async fn modified(&self, key: &str) -> Result<Option<std::time::SystemTime>> {
        let head = self.head_of(&self.object_key(key)?).await?;
        Ok(head.and_then(|head| {
            head.last_modified()
                .map(|time| std::time::UNIX_EPOCH + Duration::from_secs(time.secs().max(0) as u64))
        }))
    }

    async fn list(&self) -> Result<Vec<String>> {
        self.keys(&format!("{}objects/", self.options.prefix)).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.delete_key(&self.object_key(key)?).await
    }

    async fn get_ref(&self, name: &str) -> Result<Option<String>> {
        let key = self.ref_key(name)?;
        match self.fetch(&key).await? {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes)
                .map(|value| Some(value.trim().to_owned()))
                .map_err(|_| Error::Invalid {
                    what: format!("ref {name}"),
                    reason: "not UTF-8".into(),
                }),
        }
    }

    async fn set_ref(&self, name: &str, value: &str) -> Result<()> {
        // A PUT replaces the whole value at once: readers see old or new.
        let key = self.ref_key(name)?;
        let value = Bytes::from(format!("{value}\n"));
        let digest = sha256(&value);
        self.put_once(&key, value, &digest, false).await.map(|_| ())
    }

    async fn swap_ref(&self, name: &str, expected: Option<&str>, value: &str) -> Result<bool> {
        let key = self.ref_key(name)?;
        let bucket = &self.options.bucket;
        // The ETag of what is there now: the PUT below is made conditional on it.
        let etag = match self.fetch_tagged(&key).await? {
            None if expected.is_some() => return Ok(false),
            None => None,
            Some((body, etag)) => {
                if Some(String::from_utf8_lossy(&body).trim()) != expected {
                    return Ok(false);
                }
                Some(etag.ok_or_else(|| {
                    Error::Backend(format!("GET s3://{bucket}/{key}: no ETag in the answer"))
                })?)
            }
        };
        let value = Bytes::from(format!("{value}\n"));
        let digest = sha256(&value);
        let request = self.put_request(&key, value, &digest);
        let request = match etag {
            Some(etag) => request.if_match(etag),
            None => request.if_none_match("*"),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            // 412: another writer moved the ref since the GET. 409: AWS's answer
            // while another conditional write of the same key is under way.
            Err(e) if matches!(status(&e), Some(412 | 409)) => Ok(false),
            Err(e) => Err(failed("PUT", bucket, &key, e)),
        }
    }

    async fn delete_ref(&self, name: &str) -> Result<()> {
        self.delete_key(&self.ref_key(name)?).await
    }

    async fn list_refs(&self, prefix: &str) -> Result<Vec<String>> {
        let root = format!("{}refs/", self.options.prefix);
        let mut names: Vec<String> = self
            .keys(&format!("{root}{prefix}"))
            .await?
            .into_iter()
            .map(|rest| format!("{prefix}{rest}"))
            .collect();
        names.sort();
        Ok(names)
    }

    fn describe(&self) -> String {
        format!("s3://{}/{}", self.options.bucket, self.options.prefix)
            .trim_end_matches('/')
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_parse() {
        let o = S3Options::from_url("s3://archive-minfopra/dossiers/2026").unwrap();
        assert_eq!(o.bucket, "archive-minfopra");
        assert_eq!(o.prefix, "dossiers/2026/");
        assert_eq!(S3Options::from_url("s3://bucket").unwrap().prefix, "");
        assert_eq!(S3Options::from_url("s3://bucket/").unwrap().prefix, "");
        for bad in [
            "s3://",
            "s3://B",
            "s3://Upper",
            "file:///x",
            "s3://bucket/../x",
        ] {
            assert!(S3Options::from_url(bad).is_err(), "{bad}");
        }
    }
}
