#!/usr/bin/env bash
# Validates the rendered Kubernetes manifests with outside tools, offline:
#   kubeconform  every object against the schema of its kind: Kubernetes' own OpenAPI document and the CRDs of
#                External Secrets Operator and Argo CD, at the versions the Cluster stack installs (strict: unknown
#                fields fail). kubeconform would download schemas from GitHub, which is not reachable here, so the
#                schemas are generated from files shipped inside Go modules (charts-ts/tools/k8s-schemas.ts).
#                Skipped: TargetGroupBinding (the AWS Load Balancer Controller's CRD): the module proxy serves none of
#                the controller's versions (its v2 tags lack a /v2 module path), so no schema exists offline; its
#                fields are asserted by charts-ts/test/tracing.test.ts instead.
#   kube-score   security and reliability checks; any finding fails, except the tests acknowledged with a reason in
#                .kube-score-ignores (or by a kube-score/ignore annotation on one object, with the reason beside it
#                in charts-ts/). kube-linter is not served by the Go module proxy here; see
#                docs/decisions/0005-observability.md.
#   promtool     check config and check rules on deploy/k8s/<env>/prometheus/. Built from the Prometheus module:
#                Debian's promtool (2.42) is compiled without Kubernetes service discovery and rejects
#                kubernetes_sd_configs.
# Tools are built once from the Go module proxy into ~/.cache/shopfront (a second run is fast).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/tools.sh
source scripts/lib/tools.sh

KUBECONFORM_VERSION=v0.8.0
KUBE_SCORE_VERSION=v1.20.0
# Prometheus 3.5.1 (Go module versions of Prometheus 3.x are v0.3xx.y).
PROMETHEUS_MODULE_VERSION=v0.305.1
# Kubernetes OpenAPI of the cluster's minor version (charts-ts/config.ts kubernetesVersion, the Cluster stack's 1.34).
KUBERNETES_MODULE_VERSION=v1.34.4
# External Secrets Operator of infra/aws/cluster-stack.ts EXTERNAL_SECRETS_CHART_VERSION (0.20.4).
EXTERNAL_SECRETS_MODULE_VERSION=v0.20.4
# Argo CD v3.2.0, the application version of the argo-cd chart 9.1.0 (ARGOCD_CHART_VERSION).
ARGOCD_MODULE_VERSION=v3.2.0

export GOFLAGS=-mod=mod GOTOOLCHAIN=local
GO_TOOLS="$TOOLS_CACHE/go-tools"

# go_tool <package> <version> <binary>: installs once per version, prints the binary's path.
go_tool() {
  local dir="$GO_TOOLS/$3-$2"
  if [[ ! -x "$dir/$3" ]]; then
    GOBIN="$dir" go install "$1@$2" >&2
  fi
  echo "$dir/$3"
}

# go_module_dir <module> <version>: downloads a module (source or data) once, prints its folder.
go_module_dir() {
  local scratch dir
  scratch="$(mktemp -d)"
  dir="$(cd "$scratch" && go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  rmdir "$scratch"
  [[ -d "$dir" ]] || { echo "could not download $1@$2" >&2; return 1; }
  echo "$dir"
}

# promtool: Prometheus' go.mod has replace directives, so `go install` refuses it; build inside the module.
promtool_bin() {
  local dir="$GO_TOOLS/promtool-$PROMETHEUS_MODULE_VERSION" src
  if [[ ! -x "$dir/promtool" ]]; then
    src="$(go_module_dir github.com/prometheus/prometheus "$PROMETHEUS_MODULE_VERSION")"
    (cd "$src" && GOFLAGS=-mod=readonly go build -trimpath -o "$dir/promtool" ./cmd/promtool) >&2
  fi
  echo "$dir/promtool"
}

# schemas: kubeconform's layout, generated once per set of versions and generator.
schemas_dir() {
  local generator=charts-ts/tools/k8s-schemas.ts stamp dir k8s eso argocd
  stamp="$(sha256sum "$generator" | cut -c1-12)"
  dir="$TOOLS_CACHE/k8s-schemas/k8s-$KUBERNETES_MODULE_VERSION-eso-$EXTERNAL_SECRETS_MODULE_VERSION-argocd-$ARGOCD_MODULE_VERSION-$stamp"
  if [[ ! -f "$dir/.complete" ]]; then
    k8s="$(go_module_dir k8s.io/kubernetes "$KUBERNETES_MODULE_VERSION")"
    eso="$(go_module_dir github.com/external-secrets/external-secrets "$EXTERNAL_SECRETS_MODULE_VERSION")"
    argocd="$(go_module_dir github.com/argoproj/argo-cd/v3 "$ARGOCD_MODULE_VERSION")"
    rm -rf "$dir"
    npx tsx "$generator" --out "$dir" \
      --swagger "$k8s/api/openapi-spec/swagger.json" \
      --crd "$eso/config/crds/bases/external-secrets.io_externalsecrets.yaml" \
      --crd "$eso/config/crds/bases/external-secrets.io_secretstores.yaml" \
      --crd "$argocd/manifests/crds/application-crd.yaml" \
      --crd "$argocd/manifests/crds/appproject-crd.yaml" >&2
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# kube-score tests acknowledged for every object; every line must give its reason after '#'.
kube_score_ignores() {
  local line flags=()
  while IFS= read -r line; do
    [[ -z "${line// /}" || "$line" =~ ^[[:space:]]*# ]] && continue
    if [[ ! "$line" =~ ^([a-z0-9-]+)[[:space:]]+#[[:space:]]*[^[:space:]] ]]; then
      echo ".kube-score-ignores: '$line' needs a reason: <test-id>  # why" >&2
      return 1
    fi
    flags+=(--ignore-test "${BASH_REMATCH[1]}")
  done < .kube-score-ignores
  echo "${flags[@]}"
}

start=$(date +%s)
rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
npx tsx bin/k8s.ts --out "$rendered" >/dev/null
environments=()
for dir in "$rendered"/*/; do environments+=("$(basename "$dir")"); done
echo "rendered ${environments[*]} into a scratch folder"

kubeconform="$(go_tool github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" kubeconform)"
kube_score="$(go_tool github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION" kube-score)"
promtool="$(promtool_bin)"
schemas="$(schemas_dir)"
echo "tools ready: $(( $(date +%s) - start )) s"

status=0

echo
echo "==> kubeconform $KUBECONFORM_VERSION (strict; Kubernetes ${KUBERNETES_MODULE_VERSION#v}, ESO ${EXTERNAL_SECRETS_MODULE_VERSION#v}, Argo CD ${ARGOCD_MODULE_VERSION#v})"
if ! "$kubeconform" -strict -summary -output text \
  -schema-location "$schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  -ignore-filename-pattern '/prometheus/' \
  -ignore-filename-pattern '/kustomization\.yaml$' \
  -skip TargetGroupBinding \
  "$rendered"; then
  status=1
fi

echo
echo "==> kube-score $KUBE_SCORE_VERSION (warnings fail too)"
ignores="$(kube_score_ignores)" || exit 1
read -r -a ignore_flags <<< "$ignores"
for env in "${environments[@]}"; do
  manifests=()
  # kustomization.yaml lists the files for Argo CD's Kustomize build; it is not a Kubernetes object.
  for file in "$rendered/$env"/*.yaml "$rendered/$env/observability"/*.yaml "$rendered/$env/logging"/*.yaml \
    "$rendered/$env/tracing"/*.yaml; do
    [[ "$(basename "$file")" == kustomization.yaml ]] || manifests+=("$file")
  done
  if output="$("$kube_score" score --kubernetes-version "v1.34" --exit-one-on-warning --output-format ci \
    "${ignore_flags[@]}" "${manifests[@]}")"; then
    echo "$env: no findings ($(grep -c '^\[OK\]' <<< "$output") checks passed)"
  else
    grep -E '^\[(CRITICAL|WARNING)\]' <<< "$output" | sed "s/^/$env: /"
    status=1
  fi
done

echo
echo "==> promtool (Prometheus module $PROMETHEUS_MODULE_VERSION)"
for env in "${environments[@]}"; do
  (cd "$rendered/$env/prometheus" && "$promtool" check config prometheus.yml && "$promtool" check rules ./*_rules.yml) ||
    status=1
done

echo
if (( status != 0 )); then
  echo "policy-k8s: findings above" >&2
  exit 1
fi
echo "policy-k8s: no findings ($(( $(date +%s) - start )) s)"
