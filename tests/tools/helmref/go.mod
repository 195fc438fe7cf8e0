module helmref

go 1.19

require (
	github.com/Masterminds/semver/v3 v3.2.0
	gopkg.in/yaml.v2 v2.4.0
	sigs.k8s.io/yaml v1.3.0
)

// Debian's packages (golang-github-masterminds-semver-dev, golang-k8s-sigs-yaml-dev), built offline.
replace (
	github.com/Masterminds/semver/v3 => /usr/share/gocode/src/github.com/Masterminds/semver
	gopkg.in/yaml.v2 => /usr/share/gocode/src/gopkg.in/yaml.v2
	sigs.k8s.io/yaml => /usr/share/gocode/src/sigs.k8s.io/yaml
)
