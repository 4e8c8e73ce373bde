// Oracle for dockopt's `buildkit` .dockerignore dialect: moby/patternmatcher itself.
// Reads {"patterns": [...], "paths": [...]} on stdin (paths sorted so a directory comes before
// its entries) and prints {"error": ..., "excluded": [...], "or_parent": [...]}: for each path,
// MatchesUsingParentResults fed with its directory's MatchInfo (as the fsutil walk does), and
// MatchesOrParentMatches.
package main

import (
	"encoding/json"
	"os"
	"path"

	"github.com/docker/docker/pkg/fileutils"
	"github.com/moby/patternmatcher"
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
