//! A throwaway S3 server (s3s-fs on a temporary folder) for trying `--store s3://` by hand.
//!
//! Prints the environment to export, creates the buckets named on the command
//! line, and serves until killed. Not a store: it keeps files in a temporary folder.

fn main() {
    let server = dossier_testkit::S3Server::start_local();
    for bucket in std::env::args().skip(1) {
        let client = server.endpoint.client();
        dossier_testkit::block_on(async {
            client
                .create_bucket()
                .bucket(&bucket)
                .send()
                .await
                .unwrap_or_else(|e| panic!("creating bucket {bucket}: {e:?}"));
        });
    }
    for (name, value) in server.endpoint.env() {
        println!("export {name}={value}");
    }
    loop {
        std::thread::park();
    }
}
