// helmref: Helm's reading of Chart.yaml and of a tag list, written with the
// Go libraries Helm itself uses (sigs.k8s.io/yaml, encoding/json,
// Masterminds semver v3), from Debian's packages, built offline. The
// structs follow Helm's pkg/chart/v2 (formats.md §5.4) and the steps its
// loader and registry client take; integration/helm_exact.sh compares
// lade with it.
//
//	helmref config CHART_YAML [REQUIREMENTS_YAML]   json.Marshal(Metadata), or "error"
//	helmref pick 'CONSTRAINT' < tags                 the tag helm pull takes, or "error"
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"
)

type Maintainer struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

type Dependency struct {
	Name         string        `json:"name"`
	Version      string        `json:"version,omitempty"`
	Repository   string        `json:"repository"`
	Condition    string        `json:"condition,omitempty"`
	Tags         []string      `json:"tags,omitempty"`
	Enabled      bool          `json:"enabled,omitempty"`
	ImportValues []interface{} `json:"import-values,omitempty"`
	Alias        string        `json:"alias,omitempty"`
}

type Metadata struct {
	Name         string            `json:"name,omitempty"`
	Home         string            `json:"home,omitempty"`
	Sources      []string          `json:"sources,omitempty"`
	Version      string            `json:"version,omitempty"`
	Description  string            `json:"description,omitempty"`
	Keywords     []string          `json:"keywords,omitempty"`
	Maintainers  []*Maintainer     `json:"maintainers,omitempty"`
	Icon         string            `json:"icon,omitempty"`
	APIVersion   string            `json:"apiVersion,omitempty"`
	Condition    string            `json:"condition,omitempty"`
	Tags         string            `json:"tags,omitempty"`
	AppVersion   string            `json:"appVersion,omitempty"`
	Deprecated   bool              `json:"deprecated,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	KubeVersion  string            `json:"kubeVersion,omitempty"`
	Dependencies []*Dependency     `json:"dependencies,omitempty"`
	Type         string            `json:"type,omitempty"`
}

func sanitizeString(str string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, str)
}

var aliasNameFormat = regexp.MustCompile("^[a-zA-Z0-9_-]+$")

func (md *Metadata) Validate() error {
	md.Name = sanitizeString(md.Name)
	md.Description = sanitizeString(md.Description)
	md.Home = sanitizeString(md.Home)
	md.Icon = sanitizeString(md.Icon)
	md.Condition = sanitizeString(md.Condition)
	md.Tags = sanitizeString(md.Tags)
	md.AppVersion = sanitizeString(md.AppVersion)
	md.KubeVersion = sanitizeString(md.KubeVersion)
	for i := range md.Sources {
		md.Sources[i] = sanitizeString(md.Sources[i])
	}
	for i := range md.Keywords {
		md.Keywords[i] = sanitizeString(md.Keywords[i])
	}
	if md.APIVersion == "" {
		return errors.New("apiVersion is required")
	}
	if md.Name == "" {
		return errors.New("name is required")
	}
	if md.Name == "." || md.Name == ".." {
		return errors.New("name not allowed")
	}
	if md.Name != filepath.Base(md.Name) {
		return errors.New("name invalid")
	}
	if md.Version == "" {
		return errors.New("version is required")
	}
	if _, err := semver.NewVersion(md.Version); err != nil {
		return errors.New("version invalid")
	}
	switch md.Type {
	case "", "application", "library":
	default:
		return errors.New("bad type")
	}
	for _, m := range md.Maintainers {
		if m == nil {
			return errors.New("null maintainer")
		}
		m.Name = sanitizeString(m.Name)
		m.Email = sanitizeString(m.Email)
		m.URL = sanitizeString(m.URL)
	}
	seen := map[string]bool{}
	for _, d := range md.Dependencies {
		if d == nil {
			return errors.New("null dependency")
		}
		d.Name = sanitizeString(d.Name)
		d.Version = sanitizeString(d.Version)
		d.Repository = sanitizeString(d.Repository)
		d.Condition = sanitizeString(d.Condition)
		for i := range d.Tags {
			d.Tags[i] = sanitizeString(d.Tags[i])
		}
		if d.Alias != "" && !aliasNameFormat.MatchString(d.Alias) {
			return errors.New("bad alias")
		}
		key := d.Name
		if d.Alias != "" {
			key = d.Alias
		}
		if seen[key] {
			return errors.New("duplicate dependency")
		}
		seen[key] = true
	}
	return nil
}

// Helm's LoadFiles, for the metadata: Chart.yaml, apiVersion v1 by default, then requirements.yaml.
func config(chartYaml string, requirements string) ([]byte, error) {
	md := new(Metadata)
	data, err := os.ReadFile(chartYaml)
	if err != nil {
		return nil, err
	}
	data = []byte(strings.TrimPrefix(string(data), "\xef\xbb\xbf"))
	if err := yaml.Unmarshal(data, md); err != nil {
		return nil, err
	}
	if md.APIVersion == "" {
		md.APIVersion = "v1"
	}
	if requirements != "" {
		data, err := os.ReadFile(requirements)
		if err != nil {
			return nil, err
		}
		data = []byte(strings.TrimPrefix(string(data), "\xef\xbb\xbf"))
		if err := yaml.Unmarshal(data, md); err != nil {
			return nil, err
		}
	}
	if err := md.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(md)
}

// Helm's Client.Tags and GetTagMatchingVersionOrConstraint.
func pick(versionString string, tags []string) (string, error) {
	var versions []*semver.Version
	for _, tag := range tags {
		if v, err := semver.StrictNewVersion(strings.ReplaceAll(tag, "_", "+")); err == nil {
			versions = append(versions, v)
		}
	}
	sort.Sort(sort.Reverse(semver.Collection(versions)))
	list := make([]string, len(versions))
	for i, v := range versions {
		list[i] = v.String()
	}
	var constraint *semver.Constraints
	if versionString == "" {
		constraint, _ = semver.NewConstraint("*")
	} else {
		for _, v := range list {
			if versionString == v {
				return strings.ReplaceAll(v, "+", "_"), nil
			}
		}
		var err error
		if constraint, err = semver.NewConstraint(versionString); err != nil {
			return "", err
		}
	}
	for _, v := range list {
		test, err := semver.NewVersion(v)
		if err != nil {
			continue
		}
		if constraint.Check(test) {
			return strings.ReplaceAll(v, "+", "_"), nil
		}
	}
	return "", errors.New("no match")
}

func main() {
	switch {
	case len(os.Args) >= 3 && os.Args[1] == "config":
		req := ""
		if len(os.Args) > 3 {
			req = os.Args[3]
		}
		out, err := config(os.Args[2], req)
		if err != nil {
			fmt.Println("error")
			fmt.Fprintln(os.Stderr, err)
			return
		}
		fmt.Println(string(out))
	case len(os.Args) == 3 && os.Args[1] == "pick":
		var tags []string
		scanner := bufio.NewScanner(os.Stdin)
		for scanner.Scan() {
			tags = append(tags, scanner.Text())
		}
		tag, err := pick(os.Args[2], tags)
		if err != nil {
			fmt.Println("error")
			return
		}
		fmt.Println(tag)
	default:
		fmt.Fprintln(os.Stderr, "usage: helmref config CHART_YAML [REQUIREMENTS] | pick CONSTRAINT < tags")
		os.Exit(2)
	}
}
