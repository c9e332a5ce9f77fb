# Tarmac's entry points. `make demo` and `make test` are the two commands the README promises.
MVN ?= mvn -B -q
JAR := operator/target/tarmac.jar

.PHONY: build cds crds test unit run demo demo-down bench bench-git bench-catalog chaos clean

build:
	$(MVN) -DskipTests package

# An AppCDS archive of the classes the operator loads until /readyz (hack/cds.sh: a training run on a local API
# server, then java -Xshare:dump): bin/tarmac (make run) and the benchmark use it while it is newer than the jar.
cds: build operator/target/tarmac.jsa

operator/target/tarmac.jsa: operator/target/tarmac.jar
	hack/kube-binaries.sh >/dev/null
	hack/cds.sh $@

# Regenerate the committed CRDs from the model classes (a test fails when they drift).
crds: build
	bin/tarmac crds -o crds
	rm -f helm/tarmac/crds/*.yaml && cp crds/*.yaml helm/tarmac/crds/
	mkdir -p crds/backstage && rm -f crds/backstage/*.yaml && bin/tarmac crds --backstage -o crds/backstage
	bin/tarmac crds --backstage --helm > helm/tarmac/templates/backstage-crds.yaml
	mkdir -p crds/crossplane && rm -f crds/crossplane/*.yaml && bin/tarmac crds --crossplane -o crds/crossplane
	bin/tarmac crds --crossplane --helm > helm/tarmac/templates/crossplane-crds.yaml

# Unit tests and tests against a real kube-apiserver + etcd (binaries from hack/kube-binaries.sh, cached).
test:
	hack/kube-binaries.sh
	mvn -B test

# Unit tests only: no API server needed.
unit:
	mvn -B test -Dgroups='!apiserver'

# A local API server (127.0.0.1), Tarmac's CRDs, and the operator in the foreground.
run: build
	hack/run.sh

# The main job end to end on a local API server: see hack/demo.sh.
demo:
	hack/demo.sh

demo-down:
	hack/demo-down.sh

clean:
	$(MVN) clean

# Performance figures against a local API server started for the run (QUICK=1 for smaller counts; CHAOS=1 runs the
# fault suite after them).
bench: build cds
	hack/kube-binaries.sh
	java -cp "benchmarks/target/classes:$$(cat benchmarks/target/classpath.txt)" dev.tarmac.bench.Bench \
		--repo . --revision "$$(git rev-parse --short HEAD)" $(if $(QUICK),--quick)
	$(if $(CHAOS),$(CHAOS_RUN))

# The fault suite (docs/reliability.md, "Fault suite"): kill -9, failover, Git and API-server outages, a wiped data
# directory. CHAOS_ARGS passes options, e.g. CHAOS_ARGS="--seed 42 --requests 300 --kills 3 --only 1,4".
CHAOS_RUN = java -cp "benchmarks/target/classes:$$(cat benchmarks/target/classpath.txt)" dev.tarmac.bench.Chaos \
		--repo . --revision "$$(git rev-parse --short HEAD)" $(CHAOS_ARGS)
chaos: build
	hack/kube-binaries.sh
	$(CHAOS_RUN)

# The state-store writer alone: 1,000 Works to one store.
bench-git: build
	java -cp "benchmarks/target/classes:$$(cat benchmarks/target/classpath.txt)" dev.tarmac.bench.GitWriterBench 1000

# The catalog index alone: rebuild, query and facet times at 10,000 objects (40 % Backstage descriptors; see docs/backstage.md).
bench-catalog: build
	java -cp "benchmarks/target/classes:$$(cat benchmarks/target/classpath.txt)" dev.tarmac.catalog.CatalogIndexBench \
		10000 .
