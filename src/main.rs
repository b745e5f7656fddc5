fn main() {
    std::process::exit(release_action::cli::main());
}
