# ci/lib.sh - shared by the ci/ scripts: package installation and logging. Sourced, not run.
# Packages come from Debian only; the scripts run `apt-get update` once, then install what is
# missing. Nothing is vendored or downloaded from elsewhere.

GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Why each package is needed is in README.md ("Dependencies").
GP_BUILD_PACKAGES="cmake make gcc pkg-config libwebsockets-dev libjansson-dev libyaml-dev
libssl-dev libcmocka-dev libev-dev"
GP_TEST_PACKAGES="lcov libxml2-utils chromium procps python3 openssl iproute2 tinyproxy
nginx-light clang time man-db groff-base dpkg-dev python3-prometheus-client"

gp_log() { printf '==> %s\n' "$*" >&2; }
gp_die() { printf 'error: %s\n' "$*" >&2; exit 3; }

gp_missing_packages() {
    local p missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    echo "$missing"
}

# gp_ensure_packages PKG... - installs the Debian packages that are missing (as root).
gp_ensure_packages() {
    local missing
    missing=$(gp_missing_packages "$@")
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            gp_log "installing with sudo:$missing"
            sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing ||
                gp_die "could not install:$missing"
            return 0
        fi
        gp_die "missing Debian packages:$missing (run this script as root, or install them)"
    fi
    gp_log "installing:$missing"
    if [ -z "${GP_APT_UPDATED:-}" ]; then
        apt-get update -qq || gp_die "apt-get update failed"
        export GP_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
        >/dev/null || gp_die "could not install:$missing"
}

# gp_build DIR [CMAKE ARGS...] - configures and builds into DIR.
gp_build() {
    local dir=$1
    shift
    cmake -S "$GP_ROOT" -B "$dir" "$@" >/dev/null || gp_die "cmake configure failed ($dir)"
    cmake --build "$dir" -j"$(nproc)" || gp_die "build failed ($dir)"
}

# gp_build_floorclient DIR - builds ci/peers/floorclient.c into DIR/floorclient when it is
# missing or older than its source (gcc -O2 -std=c11 -Wall -Wextra -Werror), and prints its path.
gp_build_floorclient() {
    local out=$1/floorclient src=$GP_ROOT/ci/peers/floorclient.c
    if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
        gp_ensure_packages gcc pkg-config libssl-dev libjansson-dev
        gp_log "building floorclient (ci/peers/floorclient.c)"
        # shellcheck disable=SC2046 # pkg-config's flags are word lists
        gcc -O2 -std=c11 -Wall -Wextra -Werror -o "$out.tmp.$$" "$src" \
            $(pkg-config --cflags --libs jansson libcrypto) -lm >&2 ||
            gp_die "floorclient did not build"
        mv -f "$out.tmp.$$" "$out"
    fi
    echo "$out"
}
