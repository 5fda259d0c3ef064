/**
 * What runs first in a sandbox's new namespaces, as root, before anything runs there as the server's
 * identity. It builds the whole file system the sandbox will ever see on an empty tmpfs, then makes it
 * the root (pivot_root) and lets go of the machine's (umount -l): the system's programs and libraries
 * (/usr, /bin, /sbin, /lib*; read-only), /etc holding only the sandbox's own passwd, group and
 * nsswitch.conf and the loader's cache, /dev holding only null, zero, full, random and urandom, a
 * private /dev/shm and /tmp (tmpfs, noexec), /proc of the sandbox's own PID namespace, and the folders
 * it is given at the paths they have outside: `ro` read-only, `rw` writable (nothing there can be
 * run). Nothing else of the machine exists inside: no home folder, no other scratch copy, no socket,
 * no /sys.
 *
 * Then it prints `ready` and stays, as the PID namespace's init, until its standard input closes:
 * the tool holds the other end, so however the tool ends (done, a signal, a crash, SIGKILL) the pipe
 * closes, init exits, and the kernel kills every process left in the namespace, a detached one
 * (`setsid`) included.
 *
 * Arguments: the mount point of the new root (an empty folder of ours), the folder holding the
 * sandbox's /etc files, then triples `ro|rw SOURCE PATH`: SOURCE (a real path, no link on the way)
 * mounted at PATH, parents before children.
 */
export const SANDBOX_SCRIPT = `set -eu
root=$1 etc=$2; shift 2
mount -t tmpfs -o mode=0755,size=8m,nosuid,nodev tmpfs "$root"
links= folders=
for d in /usr /bin /sbin /lib /lib32 /lib64 /libx32; do
  if [ -L "$d" ]; then links="$links $d"; elif [ -d "$d" ]; then folders="$folders $d"; fi
done
mkdir -p "$root/etc" "$root/dev" "$root/proc" "$root/tmp"
if [ -n "$links" ]; then cp -P $links "$root/"; fi
for d in $folders; do mkdir -p "$root$d"; mount -o bind,ro,nosuid,nodev "$d" "$root$d"; done
cp "$etc/passwd" "$etc/group" "$etc/nsswitch.conf" "$root/etc/"
if [ -f /etc/ld.so.cache ]; then : > "$root/etc/ld.so.cache"; mount -o bind,ro /etc/ld.so.cache "$root/etc/ld.so.cache"; fi
mount -t tmpfs -o mode=0755,size=1m,nosuid,noexec tmpfs "$root/dev"
cp -a /dev/null /dev/zero /dev/full /dev/random /dev/urandom "$root/dev/"
mkdir "$root/dev/shm"
mount -t tmpfs -o mode=1777,size=256m,nosuid,nodev,noexec tmpfs "$root/dev/shm"
mount -t tmpfs -o mode=1777,size=64m,nosuid,nodev,noexec tmpfs "$root/tmp"
mount -t proc -o nosuid,nodev,noexec,subset=pid proc "$root/proc" 2>/dev/null || mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
while [ $# -ge 3 ]; do
  how=$1 from=$2 path=$3; shift 3
  if [ -d "$from" ]; then mkdir -p "$root$path"; else mkdir -p "$root\${path%/*}"; : > "$root$path"; fi
  if [ "$how" = rw ]; then how=rw,noexec; fi
  mount -o "bind,$how,nosuid,nodev" "$from" "$root$path"
done
mkdir "$root/.old"
cd "$root"
pivot_root . .old
umount -l /.old
rmdir /.old
mount -o remount,bind,ro,nosuid,nodev /
cd /
echo ready
exec cat > /dev/null`;
