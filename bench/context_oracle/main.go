// Oracle for dockopt's `buildkit` .dockerignore dialect: moby/patternmatcher itself.
// Reads {"patterns": [...], "paths": [...]} on stdin (paths sorted so a directory comes before
// its entries) and prints {"error": ..., "excluded": [...], "or_parent": [...]}: for each path,
// MatchesUsingParentResults fed with its directory's MatchInfo (as the fsutil walk does), and
// MatchesOrParentMatches.
package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/docker/docker/pkg/archive"
	"github.com/docker/docker/pkg/fileutils"
	"github.com/moby/patternmatcher"
	"github.com/tonistiigi/fsutil"
)

type input struct {
	Patterns []string `json:"patterns"`
	Paths    []string `json:"paths"`
}

type output struct {
	NewError string `json:"new_error,omitempty"`
	Error    string `json:"error,omitempty"`
	Excluded []bool `json:"excluded"`
	OrParent []bool `json:"or_parent"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-filepath-match" {
		filepathMatch()
		return
	}
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "-walk-") {
		walks(os.Args[1])
		return
	}
	var cases []input
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	if len(os.Args) > 1 && os.Args[1] == "-legacy" {
		legacy(cases)
		return
	}
	results := make([]output, 0, len(cases))
	for _, c := range cases {
		out := output{}
		pm, err := patternmatcher.New(c.Patterns)
		if err != nil {
			out.NewError = err.Error()
			results = append(results, out)
			continue
		}
		infos := map[string]patternmatcher.MatchInfo{}
		for _, p := range c.Paths {
			parent := patternmatcher.MatchInfo{}
			if dir := path.Dir(p); dir != "." {
				parent = infos[dir]
			}
			m, info, err := pm.MatchesUsingParentResults(p, parent)
			if err != nil {
				out.Error = err.Error()
				break
			}
			infos[p] = info
			out.Excluded = append(out.Excluded, m)
			o, _ := pm.MatchesOrParentMatches(p)
			out.OrParent = append(out.OrParent, o)
		}
		results = append(results, out)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}

// legacy answers with Docker 20.10's pkg/fileutils (the single-parent Matches).
func legacy(cases []input) {
	results := make([]output, 0, len(cases))
	for _, c := range cases {
		out := output{}
		pm, err := fileutils.NewPatternMatcher(c.Patterns)
		if err != nil {
			out.NewError = err.Error()
			results = append(results, out)
			continue
		}
		for _, p := range c.Paths {
			m, err := pm.Matches(p)
			if err != nil {
				out.Error = err.Error()
				break
			}
			out.Excluded = append(out.Excluded, m)
		}
		results = append(results, out)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}

type walkCase struct {
	Dir      string   `json:"dir"`
	Patterns []string `json:"patterns"`
}

type walkResult struct {
	Error string   `json:"error,omitempty"`
	Paths []string `json:"paths"`
}

// walks lists what Docker 20.10 sends for each directory: -walk-fsutil is BuildKit's sender
// (tonistiigi/fsutil.Walk), -walk-archive the classic builder's tar (pkg/archive).
func walks(mode string) {
	var cases []walkCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	results := make([]walkResult, 0, len(cases))
	for _, c := range cases {
		var res walkResult
		var err error
		if mode == "-walk-fsutil" {
			err = fsutil.Walk(context.Background(), c.Dir, &fsutil.WalkOpt{ExcludePatterns: c.Patterns},
				func(p string, fi os.FileInfo, err error) error {
					if err != nil {
						return err
					}
					res.Paths = append(res.Paths, filepath.ToSlash(p))
					return nil
				})
		} else {
			var rc io.ReadCloser
			rc, err = archive.TarWithOptions(c.Dir, &archive.TarOptions{ExcludePatterns: c.Patterns})
			if err == nil {
				tr := tar.NewReader(rc)
				for {
					h, terr := tr.Next()
					if terr == io.EOF {
						break
					}
					if terr != nil {
						err = terr
						break
					}
					res.Paths = append(res.Paths, strings.TrimSuffix(h.Name, "/"))
				}
				rc.Close()
			}
		}
		if err != nil {
			res.Error = err.Error()
		}
		sort.Strings(res.Paths)
		results = append(results, res)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		panic(err)
	}
}

// filepathMatch answers Go's filepath.Match for [{"pattern": p, "name": n}, ...].
func filepathMatch() {
	var cases []struct {
		Pattern string `json:"pattern"`
		Name    string `json:"name"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	type answer struct {
		Matched bool   `json:"matched"`
		Error   string `json:"error,omitempty"`
	}
	out := make([]answer, 0, len(cases))
	for _, c := range cases {
		m, err := filepath.Match(c.Pattern, c.Name)
		a := answer{Matched: m}
		if err != nil {
			a.Error = err.Error()
		}
		out = append(out, a)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
