// An independent client for the tests: Go's own golang.org/x/mod/sumdb/note and sumdb/tlog
// (RFC 6962 hashing) check what Kaoping signs and proves. It reads one JSON document on stdin:
//
//	{"vkey": VKEY, "note": CHECKPOINT_NOTE,
//	 "inclusion": [{"leaf_index", "leaf_hash", "proof"}],      // against the note's tree
//	 "consistency": [{"size1", "root1", "proof"}]}              // from an older tree to the note's
//
// and prints "ok" and exits 0 when every signature and proof verifies; otherwise it prints why and
// exits 1. Hashes and proofs are base64, as Kaoping's JSON gives them.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type request struct {
	Vkey      string `json:"vkey"`
	Note      string `json:"note"`
	Inclusion []struct {
		LeafIndex int64    `json:"leaf_index"`
		LeafHash  string   `json:"leaf_hash"`
		Proof     []string `json:"proof"`
	} `json:"inclusion"`
	Consistency []struct {
		Size1 int64    `json:"size1"`
		Root1 string   `json:"root1"`
		Proof []string `json:"proof"`
	} `json:"consistency"`
}

func hash(text string) tlog.Hash {
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(raw) != tlog.HashSize {
		fail("not a base64 hash: %q", text)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h
}

func hashes(texts []string) []tlog.Hash {
	out := make([]tlog.Hash, len(texts))
	for i, t := range texts {
		out[i] = hash(t)
	}
	return out
}

func fail(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
	os.Exit(1)
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail("bad request: %v", err)
	}
	verifier, err := note.NewVerifier(req.Vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	n, err := note.Open([]byte(req.Note), note.VerifierList(verifier))
	if err != nil {
		fail("note: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint: origin %q is not the key's name %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root := hash(lines[2])
	for _, p := range req.Inclusion {
		if err := tlog.CheckRecord(hashes(p.Proof), size, root, p.LeafIndex, hash(p.LeafHash)); err != nil {
			fail("inclusion of leaf %d: %v", p.LeafIndex, err)
		}
	}
	for _, p := range req.Consistency {
		if err := tlog.CheckTree(hashes(p.Proof), size, root, p.Size1, hash(p.Root1)); err != nil {
			fail("consistency from %d: %v", p.Size1, err)
		}
	}
	fmt.Println("ok")
}
