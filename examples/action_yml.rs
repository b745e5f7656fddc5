//! Writes the per-mode actions, `<mode>/action.yml`, from the binary's definitions
//! (`release_action::action_file::render`). Run from the repository root:
//! `cargo run --example action_yml`.

fn main() -> std::io::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for mode in release_action::action_file::modes() {
        let text = release_action::action_file::render(&mode).expect("a mode of the binary");
        std::fs::create_dir_all(root.join(&mode))?;
        std::fs::write(root.join(&mode).join("action.yml"), text)?;
    }
    Ok(())
}
