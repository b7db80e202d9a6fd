# scripts/setup.sh — sourced by ./quickstart and ./tests/run: the Debian packages
# cell needs, and a build-directory set-up that recovers from a half-made one.
# Bash only; defines functions and arrays, runs nothing when sourced.

# What `meson setup build && ninja -C build` needs on a fresh Debian 12: the
# static libraries of jansson and libseccomp come with their -dev packages;
# libmnl and libnftables are used through their headers (see meson.build).
CELL_BUILD_PACKAGES=(meson ninja-build pkg-config gcc libc6-dev
	libjansson-dev libseccomp-dev libmnl-dev libnftables-dev)

# cell_missing_packages PKG...: prints those of PKG that dpkg does not list as installed.
cell_missing_packages() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' || echo "$p"
	done
}

# cell_install_packages PKG...: apt-get update and install what is missing.
# Root only; prints what it installs. Returns apt-get's status.
cell_install_packages() {
	local missing
	mapfile -t missing < <(cell_missing_packages "$@")
	if [ ${#missing[@]} -eq 0 ]; then
		echo "all ${#@} Debian packages are installed"
		return 0
	fi
	echo "installing ${#missing[@]} Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q && apt-get install -y -q "${missing[@]}"
}

# cell_configure DIR [meson options...]: make DIR a valid meson build tree with
# these options. A directory that a failed or interrupted `meson setup` left
# behind (no build.ninja, or coredata meson cannot read: "not a valid build
# tree") is removed and set up again; DIR is always one of our build*/ trees.
cell_configure() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ] && [ -f "$dir/meson-private/coredata.dat" ]; then
		if [ $# -eq 0 ] || meson configure "$dir" "$@"; then
			return 0
		fi
		echo "cell_configure: $dir cannot be reconfigured; setting it up again" >&2
	elif [ -e "$dir" ]; then
		echo "cell_configure: $dir is not a complete meson build tree; setting it up again" >&2
	fi
	rm -rf -- "$dir" && meson setup "$dir" "$@"
}
