fn main() {
    std::process::exit(pace::cli::main());
}
