"""The official CompShare CLI (compshare-cli 0.5.6, unmodified) against our server.

Every command that needs no SSH connection runs with `--json`, and each check asserts what the
answer proves (the instance reached Running, the new name shows, the price is positive, the
disk shows up attached and then detached…), the CLI's JSON envelope and its exit code.

Four tracks run at once, each with its own instances, all as one account (a second account, the
peer, receives a shared image):
  catalog    read-only commands, create --dry-run / --max-price / --max-count, error paths;
  lifecycle  one VM: list/show, reboot/stop/start/wait, rename, password, ssh --print, schedule,
             refund, monitor, charge refusal, resize-price, resize, reinstall, delete;
  disks      one Day-billed VM: charge --to Month, storage disk create/list/price/detach/resize/
             attach/delete, delete --release-disk;
  images     one container instance: ports update, image create/progress/update/share/shares/
             unshare/publish/favorite/unfavorite/delete, every image list source.

Each track is a module of its own (track_catalog.py, track_lifecycle.py, track_disks.py,
track_images.py); session.py holds the suite, the two CLIs and their temporary home, and
commands.py the helpers built on CLI commands that the tracks share.

Started by test/compat/run.ts with the server's address, the keys and account numbers in the
environment (see harness.Env).
"""
from harness import remove_home
from session import HOME, cli, peer, s
from track_catalog import track_catalog
from track_disks import track_disks
from track_images import track_images
from track_lifecycle import track_lifecycle

try:
    s.tracks(track_catalog, track_lifecycle, track_disks, track_images)
finally:
    remove_home(HOME)
s.done([cli, peer])
