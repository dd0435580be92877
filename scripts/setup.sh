#!/usr/bin/env bash
# Install everything `report` needs on a fresh Debian machine: the system libraries
# WeasyPrint uses (Pango; libharfbuzz-subset0 for fast font subsetting), the PDF tools
# the tests use (poppler-utils, qpdf), then the package itself with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig poppler-utils qpdf)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python -m pip install --quiet --disable-pip-version-check -e ".[test]"
echo "report installed: $(python -m report --help >/dev/null && echo ok)"
