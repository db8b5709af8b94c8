#!/usr/bin/env bash
# Install the tools the test suite needs, skipping whatever is already there.
#
#   1. Debian packages: caddy, shellcheck, postgresql-15, busybox-static, docker-registry
#      (the registry the pull tests start on 127.0.0.1; its own service is never started),
#      debootstrap (apt-get update only runs when something is missing).
#   2. Docker Compose v2 as a Docker CLI plugin, taken from Debian trixie's
#      docker-compose package via a PRIVATE apt configuration (the system's
#      sources are never touched).
#   3. PyPI: check-jsonschema, maturin, pytest, mypy.
#   4. Prints one line per tool with its version.
#
# Runs as root on Debian bookworm. Idempotent; a re-run with everything in
# place does no network access.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

PRIVATE_APT_DIR="${BANATIE_TRIXIE_APT_DIR:-/var/cache/banatie-infra/apt-trixie}"
PG_BIN=/usr/lib/postgresql/15/bin
HOME_PLUGIN_DIR="${HOME:-/root}/.docker/cli-plugins"
SYSTEM_PLUGIN_DIR=/usr/local/lib/docker/cli-plugins

log() { printf '[install-test-deps] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------
# 1. Debian packages
# ---------------------------------------------------------------------------
install_debian_packages() {
    local pkgs=(caddy shellcheck postgresql-15 busybox-static debootstrap time docker-registry)
    local missing=() pkg status
    for pkg in "${pkgs[@]}"; do
        status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
        if [[ "$status" != "installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        log "debian packages: all present"
        return
    fi
    log "debian packages: installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------------------
# 2. Docker Compose v2 plugin from Debian trixie
# ---------------------------------------------------------------------------
# Debian's build reports "2.26.1-4" (no leading "v"), upstream's "v2.x.y".
compose_is_v2() {
    local out
    out="$(docker compose version --short 2>/dev/null)" || return 1
    [[ "$out" =~ ^v?2\. ]]
}

# Print "URI SIGNED_BY" of the first enabled Debian source of the running
# release (e.g. bookworm, not bookworm-security), read from the system's own
# one-line and deb822 source files. SIGNED_BY may be "-" when not given.
find_debian_mirror() {
    local codename="$1"
    local files=()
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    local f
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] && files+=("$f")
    done
    ((${#files[@]} > 0)) || return 0
    awk -v want="$codename" '
        function flush(   n, i, s, u) {
            if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*no/) {
                n = split(suites, s, /[ \t]+/)
                for (i = 1; i <= n; i++) if (s[i] == want) {
                    split(uris, u, /[ \t]+/)
                    if (!found) { print u[1], (signed == "" ? "-" : signed); found = 1 }
                }
            }
            types = ""; uris = ""; suites = ""; enabled = ""; signed = ""
        }
        FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
        deb822 {
            if ($0 ~ /^[ \t]*$/) { flush(); next }
            if ($0 ~ /^[ \t]*#/) next
            line = $0; key = tolower(line); sub(/:.*/, "", key)
            val = line; sub(/^[^:]*:[ \t]*/, "", val)
            if (key == "types") types = val
            else if (key == "uris") uris = val
            else if (key == "suites") suites = val
            else if (key == "enabled") enabled = val
            else if (key == "signed-by" && val !~ /^[ \t]*$/) signed = val
            next
        }
        /^[ \t]*deb[ \t]/ {
            line = $0; sb = ""
            if (match(line, /\[[^]]*\]/)) {
                os = RSTART; ol = RLENGTH
                opts = substr(line, os + 1, ol - 2)
                if (match(opts, /signed-by=[^ \t]+/)) sb = substr(opts, RSTART + 10, RLENGTH - 10)
                line = substr(line, 1, os - 1) " " substr(line, os + ol)
            }
            n = split(line, w, /[ \t]+/)
            j = 0
            for (i = 1; i <= n; i++) if (w[i] != "") a[++j] = w[i]
            if (j >= 3 && a[3] == want && !found) {
                print a[2], (sb == "" ? "-" : sb); found = 1
            }
        }
        END { flush() }
    ' "${files[@]}"
}

install_compose_plugin() {
    local plugin_ok=1
    if [[ -x "$HOME_PLUGIN_DIR/docker-compose" && -x "$SYSTEM_PLUGIN_DIR/docker-compose" ]] && compose_is_v2; then
        plugin_ok=0
    fi
    if ((plugin_ok == 0)); then
        log "docker compose v2: present"
        return
    fi
    command -v docker >/dev/null || die "docker CLI not found on PATH"

    local codename mirror_line mirror signed_by
    # shellcheck disable=SC1091
    codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
    [[ -n "$codename" ]] || die "cannot read VERSION_CODENAME from /etc/os-release"
    mirror_line="$(find_debian_mirror "$codename")"
    [[ -n "$mirror_line" ]] || die "no Debian '$codename' source found in /etc/apt/sources.list{,.d}"
    mirror="${mirror_line%% *}"
    signed_by="${mirror_line#* }"
    # The full Debian archive keyring holds trixie's keys; a source's own
    # Signed-By may name a bookworm-only keyring, so it is only a fallback.
    if [[ -r /usr/share/keyrings/debian-archive-keyring.gpg || "$signed_by" == "-" || ! -r "$signed_by" ]]; then
        signed_by=/usr/share/keyrings/debian-archive-keyring.gpg
    fi
    log "docker compose v2: fetching trixie docker-compose from $mirror"

    local etc="$PRIVATE_APT_DIR/etc" lists="$PRIVATE_APT_DIR/lists" cache="$PRIVATE_APT_DIR/cache"
    mkdir -p "$etc/sources.list.d" "$lists/partial" "$cache/archives/partial"
    printf 'deb [signed-by=%s] %s trixie main\n' "$signed_by" "$mirror" >"$etc/sources.list"
    local apt_opts=(
        -o "Dir::Etc::sourcelist=$etc/sources.list"
        -o "Dir::Etc::sourceparts=$etc/sources.list.d"
        -o "Dir::State::Lists=$lists"
        -o "Dir::Cache=$cache"
        -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    )
    apt-get "${apt_opts[@]}" update -qq

    local tmp
    tmp="$(mktemp -d)"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    chmod 755 "$tmp"
    # apt downloads as the unprivileged _apt user; let it write here.
    if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
    (cd "$tmp" && apt-get "${apt_opts[@]}" download -qq docker-compose)
    local deb
    deb="$(find "$tmp" -maxdepth 1 -name 'docker-compose_*.deb' -print -quit)"
    [[ -n "$deb" ]] || die "apt-get download docker-compose produced no .deb"
    log "docker compose v2: unpacking $(basename "$deb")"
    dpkg-deb -x "$deb" "$tmp/root"
    local bin="$tmp/root/usr/libexec/docker/cli-plugins/docker-compose"
    [[ -f "$bin" ]] || die "docker-compose plugin binary not found in $deb"
    local dir
    for dir in "$HOME_PLUGIN_DIR" "$SYSTEM_PLUGIN_DIR"; do
        mkdir -p "$dir"
        install -m 755 "$bin" "$dir/docker-compose"
    done
    rm -rf "$tmp"
    trap - EXIT
    compose_is_v2 || die "docker compose version does not report v2 after install"
}

# ---------------------------------------------------------------------------
# 3. PyPI tools
# ---------------------------------------------------------------------------
install_python_tools() {
    local dists=(check-jsonschema maturin pytest mypy)
    local missing
    missing="$(python3 - "${dists[@]}" <<'PY'
import sys
from importlib import metadata
for name in sys.argv[1:]:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        print(name)
PY
)"
    if [[ -n "$missing" ]]; then
        local to_install=()
        mapfile -t to_install <<<"$missing"
        log "python tools: installing ${to_install[*]}"
        python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${to_install[@]}"
        if command -v pyenv >/dev/null; then
            pyenv rehash
        fi
    else
        log "python tools: all present"
    fi

    # Console scripts must resolve on PATH; fall back to /usr/local/bin links.
    local scripts_dir tool
    scripts_dir="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
    for tool in check-jsonschema maturin pytest mypy; do
        if ! command -v "$tool" >/dev/null; then
            [[ -x "$scripts_dir/$tool" ]] || die "$tool not found in $scripts_dir"
            ln -sf "$scripts_dir/$tool" "/usr/local/bin/$tool"
        fi
    done
}

# ---------------------------------------------------------------------------
# 4. Report
# ---------------------------------------------------------------------------
report_versions() {
    local cj real
    cj="$(command -v check-jsonschema)"
    real="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/check-jsonschema"
    [[ "$real" -ef "$cj" ]] || cj="$cj -> $real"
    printf '%-18s %s\n' \
        caddy "$(caddy version 2>&1 | head -n1)" \
        shellcheck "$(shellcheck --version | sed -n 's/^version: //p')" \
        "docker compose" "$(docker compose version 2>&1 | head -n1)" \
        check-jsonschema "$(check-jsonschema --version 2>&1 | head -n1) ($cj)" \
        initdb "$("$PG_BIN/initdb" --version) ($PG_BIN/initdb)" \
        maturin "$(maturin --version 2>&1 | head -n1)"
}

install_debian_packages
install_compose_plugin
install_python_tools
report_versions
