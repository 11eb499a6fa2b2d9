package inventory

import "io"

// maxKeptBuffer bounds the read buffer a LoadFiles worker keeps between
// files.
const maxKeptBuffer = 1 << 20

// readSized reads r to its end, into buf when it is large enough, with a
// buffer of the size the file is expected to have, as os.ReadFile does,
// rather than growing one from 512 bytes: two reads for a whole manifest.
// It reads at most limit+1 bytes, so that the caller can tell a file over
// the limit.
func readSized(r io.Reader, size, limit int64, buf []byte) ([]byte, error) {
	if size <= 0 || size > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	if int64(cap(buf)) < size+1 {
		buf = make([]byte, 0, size+1)
	}
	buf = buf[:0]
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, nil
			}
			// The file grew since it was measured, or buf was larger.
			rest, err := io.ReadAll(io.LimitReader(r, limit+1-int64(len(buf))))
			return append(buf, rest...), err
		}
	}
}
