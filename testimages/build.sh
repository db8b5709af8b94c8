#!/usr/bin/env bash
# Builds, locally and without any registry, the images the Docker integration tests use:
#
#   banatie-test/postgres:15  PostgreSQL 15 (Debian bookworm's postgresql-15) with an
#                             official-image-like docker-entrypoint.sh
#   banatie-test/http:1       BusyBox httpd on ${PORT:-3000}: GET / and GET /health -> 200
#   banatie-test/job:1        BusyBox one-shot job: `sh -c 'echo job done'`
#   banatie-test/s3:1         moto server (S3 stand-in for MinIO) on port 9000
#
# Root file systems come from debootstrap (Debian mirror of the host's apt sources) and
# from the host's statically linked /bin/busybox (Debian busybox-static); `docker import`
# turns them into images. Every image carries the label org.banatie-infra.testimage.hash,
# the sha256 of its inputs (recipe code, files under testimages/<image>/, busybox binary,
# mirror, suite): an image whose label matches is reused, not rebuilt. The debootstrapped
# root file systems are also kept as tarballs in $TESTIMAGES_CACHE_DIR, so an engine that
# lost its images gets them back by import alone.
#
# Usage: testimages/build.sh [--force] [--no-cache] [IMAGE...]
#        testimages/build.sh --print-hash IMAGE
#        testimages/build.sh --lock-s3       # re-resolve s3/requirements.txt (needs PyPI)
#   IMAGE: postgres http job s3 (default: all, in that order)
#   --force     rebuild even when an image with the same hash label exists
#   --no-cache  ignore (and overwrite) the cached root file system tarballs
# Environment: TESTIMAGES_MIRROR, TESTIMAGES_SECURITY_MIRROR (default: from the host's apt
#   sources), TESTIMAGES_CACHE_DIR (default /var/cache/banatie-testimages),
#   TESTIMAGES_BUSYBOX (default /bin/busybox).
# Needs: root, docker, debootstrap, busybox-static, GNU tar.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUITE=bookworm
ARCH="$(dpkg --print-architecture)"
HASH_LABEL=org.banatie-infra.testimage.hash
WHAT_LABEL=org.banatie-infra.testimage.what
CACHE_DIR="${TESTIMAGES_CACHE_DIR:-/var/cache/banatie-testimages}"
BUSYBOX="${TESTIMAGES_BUSYBOX:-/bin/busybox}"
# Fixed mtime for the BusyBox images, whose tarballs are then byte-for-byte reproducible.
EPOCH=1704067200
PG_MAJOR=15
PG_UID=999 # like the official Debian-based postgres image (groupadd/useradd 999)
APP_UID=1001
MOTO_MARKER='moto S3 stand-in (moto_server on :9000)'
ALL_IMAGES=(postgres http job s3)
declare -A TAG=(
	[postgres]="banatie-test/postgres:$PG_MAJOR"
	[http]=banatie-test/http:1
	[job]=banatie-test/job:1
	[s3]=banatie-test/s3:1
)
# The functions whose code is an input of each image (their text is hashed).
declare -A RECIPE=(
	[postgres]="minbase_rootfs chroot_prepare apt_in_chroot in_chroot chroot_finish trim_rootfs tar_rootfs build_postgres"
	[http]="busybox_rootfs tar_rootfs build_http"
	[job]="busybox_rootfs tar_rootfs build_job"
	[s3]="minbase_rootfs chroot_prepare apt_in_chroot in_chroot chroot_finish trim_rootfs tar_rootfs pip_host build_s3"
)

T0="$(date +%s.%N)"
log() { printf '[testimages %6ss] %s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------
# Host inputs

# The Debian mirror (and security mirror) the host's apt uses for $SUITE, from
# /etc/apt/sources.list and /etc/apt/sources.list.d/*.{list,sources}.
detect_mirrors() {
	local files=() f
	[[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[[ -f "$f" ]] && files+=("$f")
	done
	local found
	found="$(
		awk -v suite="$SUITE" '
			function emit(uris, suites, types,   n, s, i) {
				if (types !~ /(^|[ \t])deb([ \t]|$)/) return
				n = split(suites, s, /[ \t]+/)
				for (i = 1; i <= n; i++) {
					if (s[i] == suite && !main) main = uris
					if (s[i] == suite "-security" && !sec) sec = uris
				}
			}
			FNR == 1 && u != "" { emit(u, su, ty); u = su = ty = "" }
			FILENAME ~ /\.sources$/ {
				if ($0 ~ /^[ \t]*$/) { emit(u, su, ty); u = su = ty = ""; next }
				if ($1 == "URIs:") u = $2
				if ($1 == "Suites:") { su = $0; sub(/^Suites:[ \t]*/, "", su) }
				if ($1 == "Types:") { ty = $0; sub(/^Types:[ \t]*/, "", ty) }
				next
			}
			/^deb[ \t]/ {
				line = $0; sub(/\[[^]]*\][ \t]*/, "", line); split(line, w, /[ \t]+/)
				emit(w[2], w[3], "deb")
			}
			END { emit(u, su, ty); print main; print sec }
		' "${files[@]}"
	)"
	MIRROR="${TESTIMAGES_MIRROR:-$(sed -n 1p <<<"$found")}"
	SECURITY_MIRROR="${TESTIMAGES_SECURITY_MIRROR:-$(sed -n 2p <<<"$found")}"
	MIRROR="${MIRROR%/}"
	SECURITY_MIRROR="${SECURITY_MIRROR%/}"
	[[ -n "$MIRROR" ]] || MIRROR=http://deb.debian.org/debian
	[[ -n "$SECURITY_MIRROR" ]] || SECURITY_MIRROR=http://deb.debian.org/debian-security
}

# sha256 of everything an image is made from.
input_hash() {
	local name="$1" fn
	{
		printf 'format 1\nname %s\ntag %s\nsuite %s\narch %s\n' "$name" "${TAG[$name]}" "$SUITE" "$ARCH"
		printf 'constants %s\n' "$EPOCH $PG_MAJOR $PG_UID $APP_UID $MOTO_MARKER $HASH_LABEL $WHAT_LABEL"
		declare -f import_image
		case "$name" in
		postgres | s3) printf 'mirror %s\nsecurity %s\n' "$MIRROR" "$SECURITY_MIRROR" ;;
		esac
		case "$name" in
		http | job | s3) printf 'busybox %s\n' "$(sha256sum <"$BUSYBOX" | cut -d' ' -f1)" ;;
		esac
		for fn in ${RECIPE[$name]}; do
			declare -f "$fn"
		done
		if [[ -d "$HERE/$name" ]]; then
			(
				cd "$HERE"
				find "$name" -type f -printf '%m %p\n' | LC_ALL=C sort
				find "$name" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
			)
		fi
	} | sha256sum | cut -d' ' -f1
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------
# Work area: everything temporary lives in $WORK; the exit trap unmounts what is mounted
# below it (only ever proc from chroot_prepare) before removing it.

WORK=
cleanup() {
	local m
	[[ -n "$WORK" && -d "$WORK" ]] || return 0
	while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done < <(awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r)
	if awk -v w="$WORK/" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
		log "warning: mounts remain under $WORK; not removing it"
		return 0
	fi
	rm -rf --one-file-system "$WORK"
}

# ---------------------------------------------------------------------------------------
# Root file system recipes

# minbase_rootfs DIR: `debootstrap --variant=minbase $SUITE` in DIR. Unpacking and
# configuring the base system is CPU-bound (~45 s here), so the result is kept as
# $CACHE_DIR/minbase-*.tar (with /dev) and reused by every Debian-based image; apt-get
# upgrade in chroot_prepare brings it up to date. The downloaded .debs are kept in
# $CACHE_DIR/debs.
minbase_rootfs() {
	local dir="$1" key tarball
	key="$(printf '%s\n' "$SUITE" "$ARCH" "$MIRROR" "$(debootstrap --version)" "$(declare -f minbase_rootfs)" |
		sha256sum | cut -c1-16)"
	tarball="$CACHE_DIR/minbase-$SUITE-$key.tar"
	if [[ -s "$tarball" && ("$NO_CACHE" == 0 || -n "${MINBASE_FRESH:-}") ]]; then
		log "minbase $SUITE from $tarball"
		mkdir -p "$dir"
		tar -C "$dir" --numeric-owner -xpf "$tarball"
		return
	fi
	mkdir -p "$CACHE_DIR/debs"
	log "debootstrap --variant=minbase $SUITE from $MIRROR"
	debootstrap --variant=minbase --arch="$ARCH" --cache-dir="$CACHE_DIR/debs" "$SUITE" "$dir" "$MIRROR" \
		>"$WORK/debootstrap.log" 2>&1 ||
		{
			tail -n 30 "$WORK/debootstrap.log" >&2
			die "debootstrap failed (log above)"
		}
	rm -f "$CACHE_DIR"/minbase-*.tar
	tar -C "$dir" --numeric-owner --sort=name -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	MINBASE_FRESH=1
}

# apt sources (main, updates, security), no service starts, no docs, network, /proc.
chroot_prepare() {
	local dir="$1"
	cat >"$dir/etc/apt/sources.list" <<-EOF
		deb $MIRROR $SUITE main
		deb $MIRROR $SUITE-updates main
		deb $SECURITY_MIRROR $SUITE-security main
	EOF
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod 0755 "$dir/usr/sbin/policy-rc.d"
	cat >"$dir/etc/apt/apt.conf.d/90testimages" <<-'EOF'
		APT::Install-Recommends "false";
		APT::Install-Suggests "false";
		Acquire::Languages "none";
	EOF
	cat >"$dir/etc/dpkg/dpkg.cfg.d/90testimages-nodoc" <<-'EOF'
		path-exclude=/usr/share/doc/*
		path-include=/usr/share/doc/*/copyright
		path-exclude=/usr/share/man/*
		path-exclude=/usr/share/info/*
		path-exclude=/usr/share/locale/*
		path-exclude=/usr/share/lintian/*
	EOF
	cp /etc/resolv.conf "$dir/etc/resolv.conf"
	mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
	log "apt-get update && apt-get upgrade"
	apt_in_chroot "$dir" update
	apt_in_chroot "$dir" upgrade -y
}

# apt_in_chroot DIR ARGS...: apt-get -q ARGS in DIR; output in $WORK/apt.log, its tail on
# failure.
apt_in_chroot() {
	local dir="$1"
	shift
	in_chroot "$dir" apt-get -q "$@" >>"$WORK/apt.log" 2>&1 ||
		{
			tail -n 30 "$WORK/apt.log" >&2
			die "apt-get $* failed (log above)"
		}
}

# in_chroot DIR COMMAND...: COMMAND in DIR with a clean environment.
in_chroot() {
	local dir="$1"
	shift
	chroot "$dir" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

chroot_finish() {
	local dir="$1"
	in_chroot "$dir" apt-get clean
	umount "$dir/proc"
	rm -f "$dir/usr/sbin/policy-rc.d"
	: >"$dir/etc/resolv.conf"
	: >"$dir/etc/hostname"
}

# Drop what a test container never reads: docs (but copyright files), man and info pages,
# message catalogues, locales but C.UTF-8, apt lists, logs, caches.
trim_rootfs() {
	local dir="$1"
	find "$dir/usr/share/doc" -mindepth 1 -type f ! -name copyright -delete
	find "$dir/usr/share/doc" -mindepth 1 -depth -type d -empty -delete
	rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
		"$dir"/usr/share/lintian "$dir"/usr/share/i18n \
		"$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* "$dir"/var/cache/ldconfig/* \
		"$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old
	find "$dir/usr/lib/locale" -mindepth 1 -maxdepth 1 ! -name C.utf8 -exec rm -rf {} +
	find "$dir/var/log" -type f -delete
}

# tar_rootfs DIR OUT [fixed]: a tarball of DIR (numeric owners, sorted); with `fixed`,
# every mtime is $EPOCH (byte-for-byte reproducible).
tar_rootfs() {
	local dir="$1" out="$2" args=(--numeric-owner --sort=name --format=gnu)
	[[ "${3:-}" == fixed ]] && args+=(--mtime="@$EPOCH")
	tar -C "$dir" "${args[@]}" --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' \
		-cf "$out" .
}

# busybox_rootfs DIR: the host's static BusyBox with every applet linked into /bin, a
# passwd with root and app (UID/GID $APP_UID), /tmp.
busybox_rootfs() {
	local dir="$1" applet
	mkdir -p "$dir"/{bin,sbin,etc,root,tmp,usr/bin,usr/sbin,home/app,proc,sys,dev,run,var/tmp}
	if ldd "$BUSYBOX" >/dev/null 2>&1; then
		die "$BUSYBOX is dynamically linked: it would not run FROM scratch (apt-get install busybox-static)"
	fi
	install -m 0755 "$BUSYBOX" "$dir/bin/busybox"
	for applet in $("$BUSYBOX" --list); do
		[[ "$applet" == busybox ]] || ln -s busybox "$dir/bin/$applet"
	done
	ln -s /bin/env "$dir/usr/bin/env"
	cat >"$dir/etc/passwd" <<-EOF
		root:x:0:0:root:/root:/bin/sh
		app:x:$APP_UID:$APP_UID:app:/home/app:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$dir/etc/group" <<-EOF
		root:x:0:
		app:x:$APP_UID:
		nogroup:x:65534:
	EOF
	: >"$dir/etc/hosts"
	: >"$dir/etc/resolv.conf"
	chmod 1777 "$dir/tmp" "$dir/var/tmp"
	chmod 0700 "$dir/root"
	chown "$APP_UID:$APP_UID" "$dir/home/app"
}

# ---------------------------------------------------------------------------------------
# Images. build_<name> HASH writes the root file system tarball to $OUT_TAR and the
# `docker import --change` instructions to the array CHANGES.

build_postgres() {
	local hash="$1" root="$WORK/postgres" pg="/usr/lib/postgresql/$PG_MAJOR" lib
	minbase_rootfs "$root"
	chroot_prepare "$root"
	# The official image's fixed IDs, before the package's postinst picks free ones.
	in_chroot "$root" groupadd -r -g "$PG_UID" postgres
	in_chroot "$root" useradd -r -g postgres -u "$PG_UID" -d /var/lib/postgresql -s /bin/bash postgres
	install -d -o "$PG_UID" -g "$PG_UID" "$root/var/lib/postgresql"
	log "apt-get install postgresql-$PG_MAJOR"
	apt_in_chroot "$root" install -y postgresql-common
	# No cluster from the package: the entrypoint runs initdb in $PGDATA.
	sed -ri 's/#(create_main_cluster) .*$/\1 = false/' "$root/etc/postgresql-common/createcluster.conf"
	grep -q '^create_main_cluster = false' "$root/etc/postgresql-common/createcluster.conf" ||
		die "could not disable create_main_cluster"
	apt_in_chroot "$root" install -y "postgresql-$PG_MAJOR"
	# JIT is the largest part (libLLVM, libz3: ~130 MB) and useless for tests; PostgreSQL
	# disables JIT by itself when llvmjit.so is absent.
	rm -rf "$root$pg/lib/llvmjit.so" "$root$pg/lib/llvmjit_types.bc" "$root$pg/lib/bitcode"
	in_chroot "$root" dpkg --purge --force-depends libllvm14 libz3-4 >>"$WORK/apt.log" 2>&1 ||
		die "dpkg --purge libllvm14 libz3-4 failed"
	for lib in "$root$pg"/bin/* "$root$pg"/lib/*.so "$root"/usr/lib/*/libpq.so.5; do
		if in_chroot "$root" ldd "${lib#"$root"}" 2>/dev/null | grep -q 'not found'; then
			die "$lib misses a library after trimming: $(in_chroot "$root" ldd "${lib#"$root"}" | grep 'not found')"
		fi
	done
	sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$root/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample"
	grep -q "^listen_addresses = '\*'" "$root/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample" ||
		die "could not set listen_addresses in postgresql.conf.sample"
	install -m 0755 "$HERE/postgres/docker-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
	install -d -m 0755 "$root/docker-entrypoint-initdb.d"
	install -d -o "$PG_UID" -g "$PG_UID" -m 3777 "$root/run/postgresql"
	install -d -o "$PG_UID" -g "$PG_UID" -m 1777 "$root/var/lib/postgresql/data"
	log "postgres user in the image: $(in_chroot "$root" id postgres)"
	chroot_finish "$root"
	rm -f "$root/etc/ssl/private/ssl-cert-snakeoil.key" "$root/etc/ssl/certs/ssl-cert-snakeoil.pem"
	rm -rf "$root/usr/share/postgresql/$PG_MAJOR/man"
	trim_rootfs "$root"
	tar_rootfs "$root" "$OUT_TAR"
	CHANGES=(
		"ENV PATH=$pg/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		"ENV PG_MAJOR=$PG_MAJOR"
		"ENV LANG=C.UTF-8"
		"ENV PGDATA=/var/lib/postgresql/data"
		'ENTRYPOINT ["docker-entrypoint.sh"]'
		'CMD ["postgres"]'
		'EXPOSE 5432'
		'STOPSIGNAL SIGINT'
		"LABEL $WHAT_LABEL=\"PostgreSQL $PG_MAJOR (Debian $SUITE postgresql-$PG_MAJOR), official-image-like entrypoint\""
		"LABEL $HASH_LABEL=$hash"
	)
}

build_http() {
	local hash="$1" root="$WORK/http"
	busybox_rootfs "$root"
	install -d -o "$APP_UID" -g "$APP_UID" -m 0755 "$root/www"
	install -o "$APP_UID" -g "$APP_UID" -m 0644 "$HERE/http/www/index.html" "$HERE/http/www/health" "$root/www/"
	install -m 0755 "$HERE/http/entrypoint.sh" "$root/entrypoint.sh"
	tar_rootfs "$root" "$OUT_TAR" fixed
	CHANGES=(
		'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin'
		"USER $APP_UID:$APP_UID"
		'WORKDIR /www'
		'ENTRYPOINT ["/entrypoint.sh"]'
		'EXPOSE 3000'
		"LABEL $WHAT_LABEL=\"BusyBox httpd on \${PORT:-3000}: / and /health answer 200 (FAIL_HEALTH=1: /health 404)\""
		"LABEL $HASH_LABEL=$hash"
	)
}

build_job() {
	local hash="$1" root="$WORK/job"
	busybox_rootfs "$root"
	tar_rootfs "$root" "$OUT_TAR" fixed
	CHANGES=(
		'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin'
		'CMD ["sh", "-c", "echo job done"]'
		"LABEL $WHAT_LABEL=\"BusyBox one-shot job (default: sh -c 'echo job done')\""
		"LABEL $HASH_LABEL=$hash"
	)
}

# pip_host ARGS...: the host's `python3 -m pip` (PyPI is reached from the host, with its
# pip configuration, e.g. a custom CA) for CPython 3.11 on manylinux x86_64, which is what
# bookworm's python3 (3.11, glibc 2.36) installs.
pip_host() {
	local cmd="$1" platforms=() glibc
	shift
	# pip does not expand manylinux_2_36 to the older tags glibc 2.36 also runs: list them.
	for ((glibc = 36; glibc >= 5; glibc--)); do
		platforms+=(--platform "manylinux_2_${glibc}_x86_64")
	done
	platforms+=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
	python3 -m pip "$cmd" --quiet --disable-pip-version-check --only-binary=:all: \
		"${platforms[@]}" --implementation cp --python-version 3.11 --abi cp311 "$@"
}

build_s3() {
	local hash="$1" root="$WORK/s3" wheels="$CACHE_DIR/wheels"
	[[ "$ARCH" == amd64 ]] || die "the s3 image's wheel set is for amd64"
	mkdir -p "$wheels"
	# pip download re-asks the index for every package even when the wheels are here.
	if comm -23 <(grep -o 'sha256:[0-9a-f]*' "$HERE/s3/requirements.txt" | cut -d: -f2 | sort -u) \
		<(find "$wheels" -maxdepth 1 -name '*.whl' -exec sha256sum {} + | cut -d' ' -f1 | sort -u) | grep -q .; then
		log "pip download s3/requirements.txt (hashes required) to $wheels"
		pip_host download --require-hashes --no-deps -r "$HERE/s3/requirements.txt" -d "$wheels"
	else
		log "all wheels of s3/requirements.txt are in $wheels"
	fi
	minbase_rootfs "$root"
	chroot_prepare "$root"
	log "apt-get install python3 python3-venv"
	apt_in_chroot "$root" install -y python3 python3-venv
	in_chroot "$root" python3 -m venv /opt/moto
	mkdir -p "$root/tmp/wheels"
	cp "$HERE/s3/requirements.txt" "$root/tmp/requirements.txt"
	# Older wheels in the cache do no harm: --require-hashes installs the pinned ones only.
	cp "$wheels"/*.whl "$root/tmp/wheels/"
	log "pip install moto[server] offline ($(find "$root/tmp/wheels" -name '*.whl' | wc -l) wheels)"
	in_chroot "$root" /opt/moto/bin/pip install --quiet --no-cache-dir --disable-pip-version-check \
		--no-index --find-links /tmp/wheels --no-deps --require-hashes -r /tmp/requirements.txt
	in_chroot "$root" /opt/moto/bin/pip check >/dev/null || die "pip check failed in the s3 image"
	rm -rf "$root/tmp/wheels" "$root/tmp/requirements.txt"
	install -m 0755 "$HERE/s3/moto-entrypoint.py" "$root/usr/local/bin/moto-entrypoint"
	install -m 0755 "$HERE/s3/mc" "$root/usr/local/bin/mc"
	# BusyBox for the health probe: wget (and nc) only; the rest of the image is Debian's.
	install -m 0755 "$BUSYBOX" "$root/usr/local/bin/busybox"
	ln -s busybox "$root/usr/local/bin/wget"
	ln -s busybox "$root/usr/local/bin/nc"
	in_chroot "$root" groupadd -g "$APP_UID" moto
	in_chroot "$root" useradd -u "$APP_UID" -g moto -d /home/moto -m -s /bin/sh moto
	chroot_finish "$root"
	trim_rootfs "$root"
	tar_rootfs "$root" "$OUT_TAR"
	CHANGES=(
		'ENV PATH=/opt/moto/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
		'ENV LANG=C.UTF-8'
		'ENV PYTHONUNBUFFERED=1'
		"USER $APP_UID:$APP_UID"
		'WORKDIR /home/moto'
		'ENTRYPOINT ["moto-entrypoint"]'
		'CMD ["-H", "0.0.0.0", "-p", "9000"]'
		'EXPOSE 9000'
		"LABEL $WHAT_LABEL=\"$MOTO_MARKER\""
		"LABEL org.banatie-infra.testimage.health=\"wget -q --spider http://127.0.0.1:9000/moto-api/\""
		"LABEL $HASH_LABEL=$hash"
	)
}

# --lock-s3: resolve the spec line of s3/requirements.txt (default moto[server]) with the
# host's pip for the image's platform; rewrite the file with every wheel's sha256.
lock_s3() {
	local spec
	spec="$(sed -n 's/^# spec: //p' "$HERE/s3/requirements.txt" 2>/dev/null || true)"
	spec="${spec:-moto[server]}"
	log "resolving $spec"
	pip_host install --dry-run --ignore-installed --target "$WORK/target" --report "$WORK/report.json" "$spec"
	python3 - "$spec" "$WORK/report.json" >"$WORK/requirements.txt" <<-'EOF'
		import json, sys
		report = json.load(open(sys.argv[2]))
		print("# moto server and its dependencies for banatie-test/s3:1, pinned with hashes.")
		print("# Regenerate: testimages/build.sh --lock-s3 (edit the spec line to change it).")
		print("# spec: " + sys.argv[1])
		for item in sorted(report["install"], key=lambda i: i["metadata"]["name"].lower()):
		    meta, info = item["metadata"], item["download_info"]
		    print("%s==%s \\\n    --hash=sha256:%s" % (meta["name"], meta["version"], info["archive_info"]["hashes"]["sha256"]))
	EOF
	mv "$WORK/requirements.txt" "$HERE/s3/requirements.txt"
	log "wrote $HERE/s3/requirements.txt ($(grep -c '==' "$HERE/s3/requirements.txt") packages)"
}

# ---------------------------------------------------------------------------------------

# import_image TAG MESSAGE: $OUT_TAR as TAG with $CHANGES; prints the image ID.
# `docker import --change` takes CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER,
# VOLUME, WORKDIR; anything else (STOPSIGNAL) goes to a one-line-per-change Dockerfile
# built FROM the imported image by the classic builder (no BuildKit/buildx needed).
import_image() {
	local tag="$1" message="$2" c import_args=() dockerfile=() base
	for c in "${CHANGES[@]}"; do
		case "${c%% *}" in
		CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | ONBUILD | USER | VOLUME | WORKDIR) import_args+=(--change "$c") ;;
		*) dockerfile+=("$c") ;;
		esac
	done
	if ((${#dockerfile[@]} == 0)); then
		docker import "${import_args[@]}" --message "$message" "$OUT_TAR" "$tag"
		return
	fi
	base="$(docker import "${import_args[@]}" --message "$message" "$OUT_TAR")"
	printf 'FROM %s\n' "$base" >"$WORK/Dockerfile"
	printf '%s\n' "${dockerfile[@]}" >>"$WORK/Dockerfile"
	DOCKER_BUILDKIT=0 docker build --quiet --tag "$tag" - <"$WORK/Dockerfile" 2>"$WORK/docker-build.log" ||
		{
			cat "$WORK/docker-build.log" >&2
			die "docker build of $tag failed"
		}
}

# ensure NAME: reuse, re-import from the cached tarball, or build.
ensure() {
	local name="$1" tag="${TAG[$1]}" start hash old_id new_id how cached
	start="$(now)"
	hash="$(input_hash "$name")"
	if [[ "$FORCE" == 0 && "$(image_label "$tag" "$HASH_LABEL")" == "$hash" ]]; then
		how=reused
	else
		old_id="$(docker image inspect -f '{{ .Id }}' "$tag" 2>/dev/null || true)"
		cached="$CACHE_DIR/$name-$hash.tar"
		CHANGES=()
		if [[ "$NO_CACHE" == 0 && -s "$cached" && -s "$cached.changes" ]]; then
			how="imported (cached rootfs)"
			mapfile -t CHANGES <"$cached.changes"
			OUT_TAR="$cached"
		else
			how=built
			log "building $tag (hash ${hash:0:12})"
			OUT_TAR="$WORK/$name.tar"
			"build_$name" "$hash"
			case "$name" in
			postgres | s3)
				rm -f "$CACHE_DIR/$name"-*.tar "$CACHE_DIR/$name"-*.tar.changes
				mv "$OUT_TAR" "$cached"
				printf '%s\n' "${CHANGES[@]}" >"$cached.changes"
				OUT_TAR="$cached"
				;;
			esac
		fi
		new_id="$(import_image "$tag" "$name $hash")"
		if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
			docker image rm "$old_id" >/dev/null 2>&1 || true
		fi
		[[ "$(image_label "$tag" "$HASH_LABEL")" == "$hash" ]] || die "$tag: hash label missing after import"
	fi
	local size
	size="$(docker image inspect -f '{{ .Size }}' "$tag" | awk '{ printf "%.1f MB", $1 / 1e6 }')"
	printf '[testimages] %-26s %-24s %10s  hash %s  %6s s\n' "$tag" "$how" "$size" "${hash:0:12}" "$(since "$start")"
}

main() {
	FORCE=0
	NO_CACHE=0
	local images=() mode=build a
	while (($#)); do
		case "$1" in
		--force) FORCE=1 ;;
		--no-cache) NO_CACHE=1 ;;
		--print-hash) mode=print-hash ;;
		--lock-s3) mode=lock-s3 ;;
		-h | --help)
			sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
			return 0
			;;
		postgres | http | job | s3) images+=("$1") ;;
		*) die "unknown argument: $1 (try --help)" ;;
		esac
		shift
	done
	((${#images[@]})) || images=("${ALL_IMAGES[@]}")
	detect_mirrors
	if [[ "$mode" == print-hash ]]; then
		for a in "${images[@]}"; do
			printf '%s %s\n' "$(input_hash "$a")" "${TAG[$a]}"
		done
		return 0
	fi
	[[ "$(id -u)" == 0 ]] || die "run as root (debootstrap, chroot, file owners)"
	local tool
	for tool in docker debootstrap tar chroot python3; do
		command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y debootstrap busybox-static)"
	done
	[[ -x "$BUSYBOX" ]] || die "$BUSYBOX not found (apt-get install -y busybox-static)"
	docker info >/dev/null 2>&1 || die "the Docker engine is not reachable"
	mkdir -p "$CACHE_DIR"
	# One build at a time per cache directory.
	exec 9>"$CACHE_DIR/.lock"
	flock 9
	WORK="$(mktemp -d /var/tmp/banatie-testimages.XXXXXX)"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if [[ "$mode" == lock-s3 ]]; then
		lock_s3
		return 0
	fi
	local start
	start="$(now)"
	for a in "${images[@]}"; do
		ensure "$a"
	done
	log "done in $(since "$start") s (mirror $MIRROR)"
}

main "$@"
