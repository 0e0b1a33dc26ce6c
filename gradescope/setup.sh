#!/usr/bin/env bash
# Gradescope autograder image setup: Rust with the pinned toolchain, bubblewrap
# for the sandbox (used where the container allows it), and the grader and the
# steps' dependencies built once, so that grading starts warm.
# The autograder to upload is what `cargo run -p grader -- export-gradescope
# DIR` writes, zipped from inside DIR (setup.sh and run_autograder at its root).
set -euo pipefail
apt-get update -q && apt-get install -y -q build-essential curl bubblewrap
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --default-toolchain none
source "$HOME/.cargo/env"
cd /autograder/source
rustup toolchain install
cargo build --locked -p grader
# The starters, graded once as a submission: the steps' dependencies are then
# built where submissions are built.
cargo run --locked -q -p grader -- --submission exercises --no-sandbox > /dev/null || true
