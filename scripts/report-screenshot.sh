#!/usr/bin/env bash
# screenshots/report.png: the demo's ticket (`assay report revenue --format html`) as headless
# Chromium renders it. Usage: scripts/report-screenshot.sh [OUT.png]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$(realpath -m "${1:-$here/screenshots/report.png}")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/assay-target}"
assay="$CARGO_TARGET_DIR/release/assay"
[ -x "$assay" ] || (cd "$here" && cargo build --release --bin assay)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$assay" demo "$tmp/ws" --rows 20000 --seed 5 >/dev/null
cd "$tmp/ws"
export ASSAY_USER=ana
"$assay" extract --all >/dev/null
"$assay" build >/dev/null
"$assay" rules revenue suggest >/dev/null 2>&1
"$assay" rules revenue accept exclude-invoice_type-cancelled --note "legacy never counted cancelled invoices" >/dev/null
"$assay" rules revenue accept exclude-invoice_type-intercompany --note "internal sales are not revenue" >/dev/null
"$assay" rules revenue accept-difference late-december --where "month = '2024-12-01'" \
  --note "posted after the legacy cut-off; agreed with finance" >/dev/null
"$assay" signoff revenue --note "parity agreed with finance" >/dev/null
"$assay" report revenue --format html > "$tmp/report.html"
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1000,2200 --screenshot="$out" "file://$tmp/report.html" 2>/dev/null
echo "wrote $out"
