// helmref: Helm's reading of Chart.yaml and of a tag list, written with the
// Go libraries Helm itself uses (sigs.k8s.io/yaml, encoding/json,
// Masterminds semver v3), from Debian's packages, built offline. The
// structs follow Helm's pkg/chart/v2 (formats.md §5.4) and the steps its
// loader and registry client take; integration/helm_exact.sh compares
// lade with it.
//
//	helmref config CHART_YAML [REQUIREMENTS_YAML]   json.Marshal(Metadata), or "error"
//	helmref pick 'CONSTRAINT' < tags                 the tag helm pull takes, or "error"
//	helmref push CHART.tgz CREATED                   config and manifest of helm push, one a line
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
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

type file struct {
	name string
	data []byte
}

// Helm's LoadFiles, for the metadata: each Chart.yaml (apiVersion v1 by default), then requirements.yaml.
func loadMetadata(files []file) (*Metadata, error) {
	var md *Metadata
	for _, f := range files {
		if f.name == "Chart.yaml" {
			if md == nil {
				md = new(Metadata)
			}
			if err := yaml.Unmarshal(f.data, md); err != nil {
				return nil, err
			}
			if md.APIVersion == "" {
				md.APIVersion = "v1"
			}
		}
	}
	for _, f := range files {
		if f.name == "requirements.yaml" {
			if md == nil {
				md = new(Metadata)
			}
			if err := yaml.Unmarshal(f.data, md); err != nil {
				return nil, err
			}
		}
	}
	if md == nil {
		return nil, errors.New("Chart.yaml file is missing")
	}
	if err := md.Validate(); err != nil {
		return nil, err
	}
	return md, nil
}

func config(chartYaml string, requirements string) ([]byte, error) {
	var files []file
	for name, p := range map[string]string{"Chart.yaml": chartYaml, "requirements.yaml": requirements} {
		if p == "" {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		files = append(files, file{name, bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))})
	}
	md, err := loadMetadata(files)
	if err != nil {
		return nil, err
	}
	return json.Marshal(md)
}

var drivePathPattern = regexp.MustCompile(`^[a-zA-Z]:/`)

// Helm's LoadArchiveFiles (pkg/chart/loader/archive, formats.md §5.8).
func loadArchive(data []byte) ([]file, error) {
	unzipped, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var files []file
	tr := tar.NewReader(unzipped)
	remaining := int64(100 << 20)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if hd.FileInfo().IsDir() || hd.Typeflag == tar.TypeXGlobalHeader || hd.Typeflag == tar.TypeXHeader {
			continue
		}
		delimiter := "/"
		if strings.ContainsRune(hd.Name, '\\') {
			delimiter = "\\"
		}
		parts := strings.Split(hd.Name, delimiter)
		n := strings.ReplaceAll(strings.Join(parts[1:], delimiter), delimiter, "/")
		if path.IsAbs(n) {
			return nil, errors.New("absolute path")
		}
		n = path.Clean(n)
		if n == "." || strings.HasPrefix(n, "..") || drivePathPattern.MatchString(n) || parts[0] == "Chart.yaml" {
			return nil, errors.New("bad name " + hd.Name)
		}
		if hd.Size > remaining || hd.Size > 5<<20 {
			return nil, errors.New("too large")
		}
		var b bytes.Buffer
		written, err := io.Copy(&b, io.LimitReader(tr, remaining))
		if err != nil {
			return nil, err
		}
		remaining -= written
		if written < hd.Size || remaining <= 0 {
			return nil, errors.New("too large")
		}
		files = append(files, file{n, bytes.TrimPrefix(b.Bytes(), []byte("\xef\xbb\xbf"))})
	}
	if len(files) == 0 {
		return nil, errors.New("no files in chart archive")
	}
	return files, nil
}

type Descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

func describe(mediaType string, data []byte) Descriptor {
	return Descriptor{mediaType, fmt.Sprintf("sha256:%x", sha256.Sum256(data)), int64(len(data))}
}

func addToMap(m map[string]string, k, v string) {
	if strings.TrimSpace(v) != "" {
		m[k] = v
	}
}

// helm push (pkg/registry/client.go Push, chart.go generateOCIAnnotations), given the created time.
func push(tgz string, created string) ([]byte, []byte, error) {
	data, err := os.ReadFile(tgz)
	if err != nil {
		return nil, nil, err
	}
	files, err := loadArchive(data)
	if err != nil {
		return nil, nil, err
	}
	md, err := loadMetadata(files)
	if err != nil {
		return nil, nil, err
	}
	configData, err := json.Marshal(md)
	if err != nil {
		return nil, nil, err
	}
	layers := []Descriptor{describe("application/vnd.cncf.helm.chart.content.v1.tar+gzip", data)}
	if prov, err := os.ReadFile(tgz + ".prov"); err == nil {
		layers = append(layers, describe("application/vnd.cncf.helm.chart.provenance.v1.prov", prov))
	}
	sort.Slice(layers, func(i, j int) bool { return layers[i].Digest < layers[j].Digest })
	a := map[string]string{}
	addToMap(a, "org.opencontainers.image.description", md.Description)
	addToMap(a, "org.opencontainers.image.title", md.Name)
	addToMap(a, "org.opencontainers.image.version", md.Version)
	addToMap(a, "org.opencontainers.image.url", md.Home)
	addToMap(a, "org.opencontainers.image.created", created)
	if len(md.Sources) > 0 {
		addToMap(a, "org.opencontainers.image.source", md.Sources[0])
	}
	if len(md.Maintainers) > 0 {
		var sb strings.Builder
		for i, m := range md.Maintainers {
			if m.Name != "" {
				sb.WriteString(m.Name)
			}
			if m.Email != "" {
				sb.WriteString(" (" + m.Email + ")")
			}
			if i < len(md.Maintainers)-1 {
				sb.WriteString(", ")
			}
		}
		addToMap(a, "org.opencontainers.image.authors", sb.String())
	}
	for k, v := range md.Annotations {
		if k != "org.opencontainers.image.version" && k != "org.opencontainers.image.title" {
			a[k] = v
		}
	}
	manifest, err := json.Marshal(Manifest{2, describe("application/vnd.cncf.helm.config.v1+json", configData), layers, a})
	return configData, manifest, err
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
	case len(os.Args) == 4 && os.Args[1] == "push":
		configData, manifest, err := push(os.Args[2], os.Args[3])
		if err != nil {
			fmt.Println("error")
			fmt.Fprintln(os.Stderr, err)
			return
		}
		fmt.Println(string(configData))
		fmt.Println(string(manifest))
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
