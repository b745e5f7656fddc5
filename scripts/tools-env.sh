# shellcheck shell=bash
# Puts the project-local tools that scripts/install-tools.sh installs first on PATH.
# Source it (`source scripts/tools-env.sh`) before running cargo test by hand; scripts/test.sh
# does. RELEASE_ACTION_TOOLS overrides where the tools live (default: .tools/ in the repository).
_tools_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RELEASE_ACTION_TOOLS=${RELEASE_ACTION_TOOLS:-$_tools_root/.tools}
case ":$PATH:" in
  *":$RELEASE_ACTION_TOOLS/venv/bin:"*) ;;
  *) export PATH="$RELEASE_ACTION_TOOLS/venv/bin:$RELEASE_ACTION_TOOLS/npm/bin:$PATH" ;;
esac
unset _tools_root
