#!/bin/sh
# A local stand-in for python:3.11-slim-bookworm, for machines without registry access: the
# Dockerfile's base image cannot be pulled there, so this builds one from Debian's own packages
# (debootstrap, bookworm minbase) and imports it into the container engine.
#
#   sudo tools/local_base_image.sh [TAG]        # default localhost/python:3.11-slim-bookworm
#   make image PYTHON_IMAGE=localhost/python:3.11-slim-bookworm
#
# It offers what the Dockerfile uses of the real image: `python -m venv --without-pip`, root's
# `pip --python` installing into that venv (hence no EXTERNALLY-MANAGED marker, as on python.org's
# builds), `python`, `useradd`,
# apt against bookworm with its updates and security suites, UTF-8 locale. Its Python is Debian's
# 3.11.2, not python.org's 3.11.7: the image it yields is for the acceptance, not for release.
# Needs root, debootstrap and podman (or docker: CONTAINER=docker).
set -eu

TAG=${1:-localhost/python:3.11-slim-bookworm}
CONTAINER=${CONTAINER:-podman}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}

ROOTFS=$(mktemp -d /var/tmp/python-slim-bookworm.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT

debootstrap --variant=minbase --include=python3,python3-pip,ca-certificates,netbase,tzdata \
  bookworm "$ROOTFS" "$MIRROR"

cat > "$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
# Root's pip may install outside Debian's own paths, as on the official image.
rm -f "$ROOTFS"/usr/lib/python3.*/EXTERNALLY-MANAGED
ln -sf /usr/bin/python3 "$ROOTFS/usr/local/bin/python"
# A machine whose egress passes a TLS-inspecting proxy trusts it through extra CAs here; pip in
# the build needs the same trust to reach the package index.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/"
  chroot "$ROOTFS" update-ca-certificates >/dev/null
fi
chroot "$ROOTFS" apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/log/*.log \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/root/.cache

tar --numeric-owner -C "$ROOTFS" -c . | "$CONTAINER" import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  - "$TAG"
