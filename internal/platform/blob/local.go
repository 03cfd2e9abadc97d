package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// tmpDir holds Puts in flight, inside the store's directory so that the final
// rename stays on one file system. Keys cannot start with '.', so it never
// collides with an object.
const tmpDir = ".tmp"

// Local is a Store in a directory: key "a/b.jpg" is the file <dir>/a/b.jpg.
// Every operation goes through os.Root, so no path can leave the directory
// even through a symbolic link. A Put writes <dir>/.tmp/<random>, syncs it and
// renames it into place, so readers see the old object or the whole new one.
// Files left in .tmp by a crash are not objects and may be deleted when no
// Put runs. Directories emptied by Delete are left in place.
type Local struct {
	dir string
}

var _ Store = (*Local)(nil)

// NewLocal returns a store in dir, creating the directory if needed.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("blob: the local store needs a directory (FIELDOPS_STORAGE_DIR)")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &Local{dir: dir}, nil
}

func (l *Local) root() (*os.Root, error) {
	r, err := os.OpenRoot(l.dir)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "blob store unavailable")
	}
	return r, nil
}

// begin validates the key and the context and opens the root.
func (l *Local) begin(ctx context.Context, key string) (*os.Root, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: %q: %w", key, err)
	}
	return l.root()
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) (info Info, err error) {
	root, err := l.begin(ctx, key)
	if err != nil {
		return Info{}, err
	}
	defer root.Close()
	if err := root.MkdirAll(tmpDir, 0o750); err != nil {
		return Info{}, localErr("put", key, err)
	}
	var rnd [16]byte
	_, _ = rand.Read(rnd[:]) // never fails (crypto/rand)
	tmp := path.Join(tmpDir, hex.EncodeToString(rnd[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return Info{}, localErr("put", key, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = f.Close() // a second Close only reports os.ErrClosed
			_ = root.Remove(tmp)
		}
	}()

	hr := newHashingReader(ctx, r)
	if _, err := io.Copy(f, hr); err != nil {
		if hr.err != nil {
			return Info{}, readerErr(key, hr.err)
		}
		return Info{}, localErr("put", key, err)
	}
	if err := f.Sync(); err != nil {
		return Info{}, localErr("put", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		return Info{}, localErr("put", key, err)
	}
	if err := f.Close(); err != nil {
		return Info{}, localErr("put", key, err)
	}
	if err := ctx.Err(); err != nil { // the last chance to leave nothing behind
		return Info{}, readerErr(key, err)
	}
	if dir := path.Dir(key); dir != "." {
		if err := root.MkdirAll(dir, 0o750); err != nil {
			return Info{}, localErr("put", key, err)
		}
	}
	if fi, err := root.Lstat(key); err == nil && fi.IsDir() {
		return Info{}, errs.Wrap(errs.Conflict, fmt.Errorf("blob: put %q: a directory of other objects has that name", key), "blob key collides with another key's path")
	}
	if err := root.Rename(tmp, key); err != nil {
		return Info{}, localErr("put", key, err)
	}
	renamed = true
	return Info{Key: key, Size: hr.n, ModTime: st.ModTime(), SHA256: hr.sum()}, nil
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, key string) (Object, error) {
	root, err := l.begin(ctx, key)
	if err != nil {
		return nil, err
	}
	defer root.Close() // an open file outlives its Root
	f, err := root.Open(key)
	if err != nil {
		return nil, localErr("open", key, err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fs.ErrNotExist // a directory of other keys is not an object
	}
	if err != nil {
		_ = f.Close()
		return nil, localErr("open", key, err)
	}
	return &localObject{File: f, info: Info{Key: key, Size: st.Size(), ModTime: st.ModTime()}}, nil
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	root, err := l.begin(ctx, key)
	if err != nil {
		return Info{}, err
	}
	defer root.Close()
	st, err := root.Stat(key)
	if err == nil && !st.Mode().IsRegular() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return Info{}, localErr("stat", key, err)
	}
	return Info{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	root, err := l.begin(ctx, key)
	if err != nil {
		return err
	}
	defer root.Close()
	st, err := root.Lstat(key)
	if err == nil && st.IsDir() {
		return nil // no object by that name, only a directory of others
	}
	if err == nil {
		err = root.Remove(key)
	}
	if err != nil && !isMissing(err) {
		return localErr("delete", key, err)
	}
	return nil
}

// localObject is an open file with the Info taken at Open.
type localObject struct {
	*os.File
	info Info
}

func (o *localObject) Info() Info { return o.info }

// isMissing: the key, or a directory on its path, does not exist (ENOTDIR: a
// path segment is an object, as "a" when asking for "a/b").
func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// localErr maps file system errors to kinds.
func localErr(op, key string, err error) error {
	err = fmt.Errorf("blob: %s %q: %w", op, key, err)
	switch {
	case op != "put" && isMissing(err):
		return errs.Wrap(errs.NotFound, err, "blob not found")
	case op == "put" && (errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST)):
		return errs.Wrap(errs.Conflict, err, "blob key collides with another key's path")
	default:
		return errs.Wrap(errs.Internal, err, "blob store failed")
	}
}
