//! The `mentorhub` binary: parse the command line and dispatch. Nothing else lives here
//! but the memory allocator: mimalloc instead of the C library's, whose heap fragments
//! under the write load (after 75,000 bookings a slot listing spent 10 % more CPU in
//! the same process than in a fresh one; BENCHMARKS.md).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    mentorhub::cli::main()
}
