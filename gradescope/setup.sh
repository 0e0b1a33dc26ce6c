#!/usr/bin/env bash
# Gradescope autograder image setup: Rust with the pinned toolchain, and the
# grader and every dependency built once, so that grading starts warm.
# Zip this repository's files (not its folder) and upload them as the autograder.
set -euo pipefail
apt-get update -q && apt-get install -y -q build-essential curl
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --default-toolchain none
source "$HOME/.cargo/env"
cd /autograder/source
rustup toolchain install
GRADE=solutions cargo test --locked -p grader --test grade
cargo build --locked -p grader
