//! The tests of the `dossier` binary, in one test binary (as cargo's own
//! testsuite): one build and link for all of them, and the helpers of
//! `util` shared rather than copied.

mod audit;
mod cli;
mod completeness;
mod corrections;
mod crash;
mod interface;
mod paths;
mod s3;
mod snapshots;
mod stacks;
mod tidy;
mod util;
mod watch;
mod web;
