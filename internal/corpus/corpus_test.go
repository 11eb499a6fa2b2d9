package corpus

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestWrite checks the corpus shape the benchmarks rely on: the number of
// files and documents, about 1.2 KB per object (so 10k objects are 11–13
// MB, like the corpus), and the same bytes on every run.
func TestWrite(t *testing.T) {
	read := func(dir string) (files, docs int, data []byte) {
		t.Helper()
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			docs += bytes.Count(b, []byte("\nkind: "))
			data = append(data, b...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return files, docs, data
	}
	a, b := t.TempDir(), t.TempDir()
	size, err := Write(a, 100, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(b, 100, 1000); err != nil {
		t.Fatal(err)
	}
	files, docs, da := read(a)
	_, _, db := read(b)
	if files != 100 || docs != 1000 || int64(len(da)) != size {
		t.Fatalf("files=%d docs=%d bytes=%d (reported %d)", files, docs, len(da), size)
	}
	if perObject := size / 1000; perObject < 1100 || perObject > 1300 {
		t.Errorf("%d bytes per object; 10k objects should be 11–13 MB", perObject)
	}
	if !bytes.Equal(da, db) {
		t.Error("two runs wrote different corpora")
	}
}
