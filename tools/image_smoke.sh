#!/usr/bin/env bash
# Issue #18's acceptance, repeatable: build the image (`make image`), then, as its non-root user with
# a volume on /var/lib/reporter and no network, run `reporter demo` and `reporter report <the demo
# snapshot> --format ocsf,asff,oscal,junit,html`, and check the files it wrote from the host venv
# (tests/test_image_outputs.py: the standards' validators, the committed samples byte for byte).
#
#   sudo make image-smoke                                   # the registry's python:3.11.7-slim-bookworm
#   sudo make image-smoke PYTHON_IMAGE=localhost/python:3.11-slim-bookworm   # no registry access:
#                                                           # built first by tools/local_base_image.sh
# Root, because the engine is rootful and the volume is handed to uid 10001. Minutes; not `make test`.
set -eu
cd "$(dirname "$0")/.."

CONTAINER=${CONTAINER:-$(docker info >/dev/null 2>&1 && echo docker || echo podman)}
PYTHON_IMAGE=${PYTHON_IMAGE:-}
IMAGE=${IMAGE:-reporter}
VERSION=$(.venv/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
OUT=${OUT:-$(mktemp -d /var/tmp/reporter-image-smoke.XXXXXX)}

build_flags=${CONTAINER_FLAGS:-}
run_flags=""
if [ "$CONTAINER" = podman ]; then
  # Podman asks for 2^20 open files and processes; where root lacks CAP_SYS_RESOURCE (some VMs)
  # the runtime may not raise its limits that far and refuses to start.
  limits="--ulimit nofile=$(ulimit -Hn):$(ulimit -Hn) --ulimit nproc=32768:32768"
  # crun refuses a hybrid cgroup hierarchy (v1 controllers beside an empty v2); runc runs there.
  if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && command -v runc >/dev/null; then
    build_flags="$build_flags --runtime runc"
    run_flags="--runtime runc"
  fi
  build_flags="$build_flags $limits"
fi

if [ -n "$PYTHON_IMAGE" ] && ! "$CONTAINER" image inspect "$PYTHON_IMAGE" >/dev/null 2>&1; then
  CONTAINER=$CONTAINER tools/local_base_image.sh "$PYTHON_IMAGE"
fi

start=$(date +%s)
make --no-print-directory image CONTAINER="$CONTAINER" CONTAINER_FLAGS="$build_flags" PYTHON_IMAGE="$PYTHON_IMAGE" IMAGE="$IMAGE"
echo "image-smoke: built $IMAGE:$VERSION in $(($(date +%s) - start)) s"
"$CONTAINER" images "$IMAGE:$VERSION"

mkdir -p "$OUT"  # a given OUT may not exist yet
chown 10001:10001 "$OUT"
# shellcheck disable=SC2086 # the flags are words
run() { "$CONTAINER" $run_flags run --rm --network none ${limits:-} -v "$OUT:/var/lib/reporter" "$IMAGE:$VERSION" "$@"; }

# What the image holds: the installed package's files and their SHA-256, for the test that they
# are this tree's (a stale build cache shows there by file name, not as a PDF that differs).
"$CONTAINER" $run_flags run --rm --network none ${limits:-} -v "$OUT:/var/lib/reporter" --entrypoint python \
  "$IMAGE:$VERSION" -c 'import hashlib, json, pathlib, reporter
root = pathlib.Path(reporter.__file__).parent
files = (p for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts)
digests = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
pathlib.Path("installed-package.json").write_text(json.dumps(digests, indent=1))'
run demo --out demo
exceptions=$(run demo-snapshot snapshot | sed -n 's/^its exceptions file (for report --exceptions): //p')
status=0
run report snapshot --exceptions "$exceptions" --format ocsf,asff,oscal,junit,html --out report || status=$?
# The demo holds 4 FAILs without an exception, and --fail-on fail (the default) says so with exit 1.
[ "$status" = 1 ] || { echo "image-smoke: reporter report exited $status, not 1"; exit 1; }

.venv/bin/reporter verify "$OUT/demo"
.venv/bin/reporter verify "$OUT/report"
REPORTER_IMAGE_OUT=$OUT .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_image_outputs.py
echo "image-smoke: passed; the container's files are in $OUT"
