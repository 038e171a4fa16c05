# Sourced by scripts/setup.d/*-assets.sh: installs an npm folder exactly as its package-lock.json records it (version and
# integrity; npm ci fails if it cannot), installing Debian's nodejs and npm first when npm is missing.
# npm_assets DIR PACKAGE VERSION PROBE WHAT: quiet when node_modules/PACKAGE is VERSION and holds PROBE (relative to it).
npm_assets() {
  local dir=$1 pkg="$1/node_modules/$2" version=$3 probe=$4 what=$5
  installed() { [[ -f "$pkg/$probe" ]] && grep -q "\"version\": \"$version\"" "$pkg/package.json"; }
  installed && return 0
  if ! command -v npm >/dev/null; then
    echo "setup: npm is needed to install $what; installing Debian's nodejs and npm" >&2
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  echo "setup: installing $what from npm into $dir/node_modules ..." >&2
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  installed || { echo "setup: $what missing after npm ci in $dir" >&2; return 1; }
}
