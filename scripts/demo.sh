#!/usr/bin/env bash
# The main job, end to end, on a CTF archive (no network, nothing outside ./demo-output):
#   1. build a sample component version (two resources, plus a referenced component) from
#      examples/helloworld/component-constructor.yaml into a CTF archive (tgz);
#   2. list it as a tree and print its descriptor;
#   3. download a resource and show its SHA-256 next to the digest in the descriptor;
#   4. sign it with a fresh RSA key and verify; 5. transfer it to a second CTF and verify there;
#   6. tamper with a blob in the copy and show that verification names the change;
#   7. install the example toolbox plugin and use its input type, transformer and HMAC signer;
#   8. publish the Helm plugin into a signed plugin registry, install it by name, package a chart with it.
# Self-bootstrapping: installs npm dependencies and builds when needed.
# Steps are functions; append new ones (sign, verify, transfer) to STEPS at the bottom.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

if ! command -v node >/dev/null 2>&1; then
  echo "demo: Node.js (>= 20.19) is required: apt-get install -y nodejs npm" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "demo: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
# Build when dist is missing or any source is newer than the built CLI.
if [ ! -f dist/bin/ocm.js ] || [ -n "$(find src tsconfig.json package.json -newer dist/bin/ocm.js -print -quit)" ]; then
  echo "demo: building (tsc)"
  # tsc emits even when it reports type errors; the demo then still runs (npm run build shows them).
  npx tsc -p tsconfig.json >/dev/null || echo "demo: warning: the build reported type errors (run: npm run build)" >&2
  [ -f dist/bin/ocm.js ] || { echo "demo: build failed: dist/bin/ocm.js missing" >&2; exit 1; }
fi
# The example plugins (examples/plugins) are compiled separately (npm run build does both).
if [ ! -f examples/plugins/dist/toolbox/main.js ] || [ -n "$(find examples/plugins -name '*.ts' -newer examples/plugins/dist/toolbox/main.js -print -quit)" ]; then
  echo "demo: building the example plugins (tsc)"
  npx tsc -p examples/plugins/tsconfig.json >/dev/null || echo "demo: warning: the example plugins reported type errors" >&2
fi
# Single-file plugin bundles (scripts/bundle-plugin.mjs) for the plugin-registry step.
if [ ! -f examples/plugins/dist/bundles/ocm-plugin-helm ] || [ -n "$(find examples/plugins src/plugin/sdk -name '*.ts' -newer examples/plugins/dist/bundles/ocm-plugin-helm -print -quit)" ]; then
  echo "demo: bundling the example plugins (esbuild)"
  node scripts/bundle-plugin.mjs --examples
fi

OUT="$ROOT/demo-output"
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"

ocm() { node "$ROOT/dist/bin/ocm.js" "$@"; }
if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
show() { printf '$ ocm %s\n' "$*"; ocm "$@"; }

export VERSION=1.0.0
ARCHIVE=transport-archive.tgz  # relative to demo-output/
REF="$ARCHIVE//acme.org/helloworld:$VERSION"

build() {
  step "Build the sample component from examples/helloworld into a CTF archive"
  show add component-version --constructor ../examples/helloworld/component-constructor.yaml --repository "$ARCHIVE"
}

list_tree() {
  step "List it as a tree (with the referenced component)"
  show get component-version "$REF" --output tree --recursive
}

show_descriptor() {
  step "Its component descriptor"
  show get component-version "$REF" --output yaml
}

download() {
  step "Download a resource and check its digest"
  show download resource "$REF" --identity name=greeting --output greeting.txt
  printf 'content:   %s' "$(cat greeting.txt)"; echo
  printf 'sha256sum: %s\n' "$(sha256sum greeting.txt | cut -d' ' -f1)"
  printf 'recorded:  %s\n' "$(ocm get component-version "$REF" --output json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = JSON.parse(s).component.resources.find((x) => x.name === "greeting");
      console.log(r.digest.value);
    });')"
  step "Stream the directory resource to stdout and list the tar"
  printf '$ ocm download resource %s --identity name=site --output - | tar -tv\n' "$REF"
  ocm download resource "$REF" --identity name=site --output - | tar -tv
}

sign_verify() {
  step "Sign it (and the referenced component) with a fresh RSA key, then verify"
  mkdir -p keys
  node -e '
    const { generateKeyPairSync } = require("node:crypto"); const fs = require("node:fs");
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync("keys/demo.priv.pem", privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    fs.writeFileSync("keys/demo.pub.pem", publicKey.export({ type: "spki", format: "pem" }));'
  show sign component-version "$REF" --signature demo --private-key keys/demo.priv.pem --recursive
  show verify component-version "$REF" --signature demo --public-key keys/demo.pub.pem --recursive
}

transfer_verify() {
  step "Transfer the component graph to a second CTF (a directory) and verify the signature there"
  show transfer component-version "$REF" ./airgap-copy --recursive --progress lines
  show verify component-version "./airgap-copy//acme.org/helloworld:$VERSION" --signature demo --public-key keys/demo.pub.pem --recursive
}

tamper() {
  step "Tamper with a resource in the copy: verification names what changed"
  local digest blob
  digest=$(ocm get component-version "./airgap-copy//acme.org/helloworld:$VERSION" --output json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      console.log(JSON.parse(s).component.resources.find((x) => x.name === "greeting").digest.value); });')
  blob="airgap-copy/blobs/sha256.$digest"
  chmod u+w "$blob"; sed -i 's/Model/M0del/' "$blob"   # same size, one byte changed
  printf '$ ocm verify component-version ./airgap-copy//acme.org/helloworld:%s --signature demo --public-key keys/demo.pub.pem\n' "$VERSION"
  if ocm verify component-version "./airgap-copy//acme.org/helloworld:$VERSION" --signature demo --public-key keys/demo.pub.pem; then
    echo "demo: tampering was NOT detected" >&2; exit 1
  else
    echo "(exit code $? — tampering detected, as it should be)"
  fi
}

plugins() {
  step "Plugins: install the example toolbox plugin, build with its input type, sign with its HMAC signer"
  mkdir -p plugins
  ln -sf "$ROOT/examples/plugins/toolbox/ocm-plugin-toolbox" plugins/
  # The HMAC secret lives in a config file (0600), never on the command line.
  (umask 077; cat > plugin-demo.ocmconfig <<'YAML'
type: generic.config.ocm.software/v1
configurations:
  - type: credentials.config.ocm.software
    consumers:
      - identity: {type: HMACKey, name: release}
        credentials:
          - type: Credentials/v1
            properties: {secret: demo-hmac-secret}
YAML
  )
  cat > plugin-constructor.yaml <<'YAML'
name: acme.org/generated
version: 1.0.0
provider: {name: acme.org}
resources:
  - name: banner
    type: plainText
    input: {type: Generated/v1alpha1, text: "built by a plugin ", repeat: 2, mediaType: text/plain}
YAML
  printf 'type: HMAC/v1alpha1\nkeyName: release\n' > hmac-signer.yaml
  printf 'type: Uppercase/v1alpha1\n' > uppercase.yaml
  local P=(--plugin-directory ./plugins --config plugin-demo.ocmconfig)
  show "${P[@]}" plugin list
  show "${P[@]}" add component-version --constructor plugin-constructor.yaml --repository plugin-demo.tgz
  show "${P[@]}" download resource "plugin-demo.tgz//acme.org/generated:1.0.0" --identity name=banner --output - --transformer uppercase.yaml; echo
  show "${P[@]}" sign component-version "plugin-demo.tgz//acme.org/generated:1.0.0" --signature release --signer-spec hmac-signer.yaml
  show "${P[@]}" verify component-version "plugin-demo.tgz//acme.org/generated:1.0.0" --signature release --verifier-spec hmac-signer.yaml
}

plugin_registry() {
  step "Plugin registry: publish the Helm plugin (one bundled file) as a signed component, add it to a signed registry, install it by name, package a chart with it"
  local arch os
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  cp "$ROOT/examples/plugins/dist/bundles/ocm-plugin-helm" ./ocm-plugin-helm
  cat > helm-plugin-component.yaml <<YAML
name: acme.org/plugins/helm
version: 1.0.0
provider: {name: acme.org}
labels: [{name: ocm.software/description, value: "Helm chart input: packages a local chart as helm package does"}]
resources:
  - name: helm
    type: ocmPlugin
    version: 1.0.0
    extraIdentity: {os: $os, architecture: $arch}
    input: {type: file, path: ./ocm-plugin-helm}
YAML
  show add component-version --constructor helm-plugin-component.yaml --repository plugin-registry.tgz
  show sign component-version "plugin-registry.tgz//acme.org/plugins/helm:1.0.0" --signature demo --private-key keys/demo.priv.pem
  show plugin registry add plugin-registry.tgz "plugin-registry.tgz//acme.org/plugins/helm:1.0.0"
  show sign component-version "plugin-registry.tgz//ocm.software/plugin-registry:0.1.0" --signature demo --private-key keys/demo.priv.pem
  show plugin registry list --registry plugin-registry.tgz
  show plugin install helm --registry plugin-registry.tgz --public-key keys/demo.pub.pem --plugin-directory ./installed-plugins
  show plugin list --plugin-directory ./installed-plugins
  cp -r "$ROOT/test/fixtures/helm/mychart" ./mychart
  cat > chart-component.yaml <<'YAML'
name: acme.org/chart
version: 1.0.0
provider: {name: acme.org}
resources:
  - name: chart
    type: helmChart
    input: {type: helm/v1, path: ./mychart}
YAML
  show --plugin-directory ./installed-plugins add component-version --constructor chart-component.yaml --repository charts.tgz
  show get component-version "charts.tgz//acme.org/chart:1.0.0" --output yaml | grep -A3 'access:'
}

STEPS=(build list_tree show_descriptor download sign_verify transfer_verify tamper plugins plugin_registry)
for s in "${STEPS[@]}"; do "$s"; done

printf '\ndemo: done; everything it wrote is in %s\n' "$OUT"
