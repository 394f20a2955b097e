#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Mount points as dockerd makes them: --mount of type bind, volume and
# tmpfs, anonymous volumes from -v /path and from an image's VOLUME with
# the copy-up of the image's files, VolumesFrom, rm -v, inspect's Mounts,
# volume RefCount in system df, with the docker CLI and the Docker SDK.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(48);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err, $st, $j);

# checks made at create need no root

($rc, $out, $err) = $t->docker('create', '--mount',
    'type=bind,source=/nonexistent-sls,target=/x', 'busybox', 'true');
like($err, qr{invalid mount config for type "bind": bind source path does not exist: /nonexistent-sls},
     'a missing bind source: dockerd\'s error') or diag($err);

($st, $j) = $t->api_json('POST', '/containers/create', {
    Image => 'busybox', Cmd => ['true'],
    HostConfig => {
        Binds => ["$t->{prefix}:/d"],
        Mounts => [{ Type => 'bind', Source => $t->prefix, Target => '/d/' }],
    } });
ok($st == 400 && $j->{message} eq 'Duplicate mount point: /d',
   'a target in Binds and Mounts: 400 Duplicate mount point')
    or diag("$st " . explain $j);

($st, $j) = $t->api_json('POST', '/containers/create', {
    Image => 'busybox', Cmd => ['true'],
    HostConfig => { Mounts => [{ Type => 'volume', Target => '/v',
                                 ReadOnly => JSON::PP::true() }] } });
ok($st == 400 && $j->{message} eq 'invalid mount config for type "volume": '
   . 'must not set ReadOnly mode when using anonymous volumes',
   'a read-only anonymous volume: 400') or diag("$st " . explain $j);

($st, $j) = $t->api_json('POST', '/containers/create', {
    Image => 'busybox', Cmd => ['true'],
    HostConfig => { VolumesFrom => ['no-such-container'] } });
ok($st == 404 && $j->{message} eq 'No such container: no-such-container',
   'VolumesFrom of a missing container: 404') or diag("$st " . explain $j);

# an image with a VOLUME that holds files

my $tar = $t->prefix . '/vi.tar';
($rc, $out, $err) = $t->command({ timeout => 120 }, 'python3',
    "$FindBin::Bin/lib/mkimage.py", '--tag', 'vol-image:1', '-o', $tar,
    '--volume', '/data', '--dir', '/data=750:1000:1000',
    '--file', '/data/seed.txt=seeded', '--file', '/seed/s.txt=other',
    '--link', '/data/twin.txt=/data/seed.txt');
($rc, $out, $err) = $t->docker('load', '-i', $tar);
is($rc, 0, 'an image with a VOLUME loaded') or diag($err);

SKIP: {
    skip 'mounts need root (mount namespaces)', 41 unless $t->is_root;

    my $src = "$t->{prefix}/src";
    mkdir $src or die "mkdir $src: $!\n";
    $t->write_file("$src/in.txt", "from the host\n");

    # --mount type=bind, read-write then read-only

    ($rc, $out, $err) = $t->docker('run', '--rm', '--mount',
        "type=bind,source=$src,target=/b", 'busybox', 'sh', '-c',
        'cat /b/in.txt; echo w > /b/w.txt');
    ok($out eq "from the host\n" && $t->read_file("$src/w.txt") eq "w\n",
       '--mount type=bind: read and written') or diag($err);

    ($rc, $out, $err) = $t->docker('run', '--rm', '--mount',
        "type=bind,source=$src,target=/b,readonly", 'busybox', 'sh', '-c',
        'cat /b/in.txt; echo x > /b/ro.txt');
    ok($rc != 0 && $out eq "from the host\n" && !-e "$src/ro.txt"
       && $err =~ /Read-only file system/,
       '--mount type=bind,readonly is read-only') or diag("$rc $out $err");

    # --mount type=volume, named: made on demand, data outlives containers

    ($rc, $out, $err) = $t->docker('run', '--name', 'mv1', '--mount',
        'type=volume,source=mvol,target=/v', 'busybox', 'sh', '-c',
        'echo kept > /v/k.txt');
    $t->docker('rm', '-v', 'mv1');
    ($rc, $out, $err) = $t->docker('run', '--rm', '--mount',
        'source=mvol,target=/w', 'busybox', 'cat', '/w/k.txt');
    is($out, "kept\n", 'a named volume keeps its data after rm -v')
        or diag($err);

    # --mount type=tmpfs with its size and mode

    ($rc, $out, $err) = $t->docker('run', '--rm', '--mount',
        'type=tmpfs,target=/t,tmpfs-size=1048576,tmpfs-mode=1770',
        'busybox', 'sh', '-c',
        'grep " /t " /proc/mounts; stat -c %a /t; echo x > /t/f && cat /t/f');
    like($out, qr{^tmpfs /t tmpfs rw,nosuid,nodev,noexec,\S*size=1024k,mode=1770\S* 0 0\n1770\nx\n$},
         '--mount type=tmpfs: a tmpfs with its size and mode')
        or diag("$out $err");

    # --tmpfs with dockerd's defaults and the given options merged (the
    # last word of each kind wins), not among inspect's Mounts

    ($rc, $out, $err) = $t->docker('run', '--rm', '--tmpfs',
        '/run/t:exec,size=2m,mode=1700,size=1m', '--tmpfs', '/ro:ro',
        'busybox', 'sh', '-c',
        'grep -E " /(run/t|ro) " /proc/mounts; stat -c %a /run/t; '
        . 'echo x > /run/t/f && cat /run/t/f; touch /ro/f 2>/dev/null '
        . '|| echo refused');
    like($out, qr{^tmpfs /run/t tmpfs rw,nosuid,nodev,\S*size=1024k,mode=1700\S* 0 0\n}m,
         '--tmpfs: exec and the last size given')
        or diag("$out $err");
    unlike($out, qr{/run/t tmpfs \S*noexec}, '--tmpfs: exec clears noexec');
    like($out, qr{^tmpfs /ro tmpfs ro,nosuid,nodev,noexec\S* 0 0\n}m,
         '--tmpfs /ro:ro is read-only with the defaults');
    like($out, qr{\n1700\nx\nrefused\n\z},
         '--tmpfs: mode applied, writable, the ro one refuses writes')
        or diag("$out $err");

    ($rc, $out, $err) = $t->docker('create', '--name', 'tmpc', '--tmpfs',
        '/scratch', 'busybox', 'true');
    my $tc = $t->inspect('tmpc');
    is_deeply([ $tc->{HostConfig}{Tmpfs}, $tc->{Mounts} ],
              [ { '/scratch' => '' }, [] ],
              '--tmpfs: in HostConfig.Tmpfs, not among Mounts')
        or diag(explain $tc);
    $t->docker('rm', 'tmpc');

    ($rc, $out, $err) = $t->docker('create', '--tmpfs', '/x:bogus',
        'busybox');
    like($err, qr{invalid tmpfs option "bogus"},
         '--tmpfs with an unknown option: dockerd\'s words') or diag($err);

    ($rc, $out, $err) = $t->docker('create', '--tmpfs', '/x:color=red',
        'busybox');
    like($err, qr{invalid tmpfs option "color"}, '--tmpfs key not tmpfs\'s')
        or diag($err);

    ($rc, $out, $err) = $t->docker('create', '--tmpfs', '/d', '-v',
        "$src:/d", 'busybox');
    like($err, qr{Duplicate mount point: /d}, '--tmpfs and -v on one path')
        or diag($err);

    ($st, $j) = $t->api_json('POST', '/containers/create',
        { Image => 'busybox', HostConfig => { Tmpfs => { 'rel' => '' } } });
    is_deeply([ $st, $j->{message} ],
              [ 400, "invalid mount path: 'rel' mount path must be absolute" ],
              'a relative --tmpfs path is a 400') or diag(explain $j);

    ($st, $j) = $t->api_json('POST', '/containers/create',
        { Image => 'busybox', HostConfig => { Tmpfs => { '/' => '' } } });
    is_deeply([ $st, $j->{message} ],
              [ 400, "invalid specification: destination can't be '/'" ],
              'a --tmpfs on / is a 400');

    # --mount volume-subpath: a directory inside the volume, resolved
    # beneath it

    ($rc, $out, $err) = $t->docker('run', '--rm', '-v', 'subv:/v',
        'busybox', 'sh', '-c',
        'mkdir -p /v/a/b && echo deep > /v/a/b/f && ln -s / /v/out');
    ($rc, $out, $err) = $t->docker('run', '--rm', '--mount',
        'type=volume,src=subv,dst=/s,volume-subpath=a/b', 'busybox',
        'sh', '-c', 'cat /s/f; echo new > /s/g');
    is($out, "deep\n", 'volume-subpath: the directory inside the volume')
        or diag($err);
    ($rc, $out) = $t->docker('run', '--rm', '-v', 'subv:/v', 'busybox',
                             'cat', '/v/a/b/g');
    is($out, "new\n", 'volume-subpath: writes land inside the volume');

    ($rc, $out, $err) = $t->docker('run', '--rm', '--mount',
        'type=volume,src=subv,dst=/s,volume-subpath=out/etc', 'busybox',
        'true');
    ok($rc != 0 && $err =~ m{cannot access path \S+/out/etc},
       'volume-subpath: a symbolic link out of the volume is refused')
        or diag($err);

    ($rc, $out, $err) = $t->docker('run', '--rm', '--mount',
        'type=volume,src=subv,dst=/s,volume-subpath=nope', 'busybox',
        'true');
    ok($rc != 0 && $err =~ m{cannot access path \S+/nope: no such file or directory},
       'volume-subpath: a missing path is an error') or diag($err);

    ($st, $j) = $t->api_json('POST', '/containers/create', {
        Image => 'busybox', HostConfig => { Mounts => [ { Type => 'volume',
            Source => 'subv', Target => '/s',
            VolumeOptions => { Subpath => 'a/../../x' } } ] } });
    is_deeply([ $st, $j->{message} ],
              [ 400, 'invalid mount config for type "volume": subpath '
                     . 'must be a relative path within the volume' ],
              'volume-subpath out of the volume: 400') or diag(explain $j);

    ($st, $j) = $t->api_json('POST', '/containers/create', {
        Image => 'busybox', HostConfig => { Mounts => [ { Type => 'volume',
            Target => '/s', VolumeOptions => { Subpath => 'a' } } ] } });
    is_deeply([ $st, $j->{message} ],
              [ 400, 'invalid mount config for type "volume": must not set '
                     . 'Subpath when using anonymous volumes' ],
              'volume-subpath of an anonymous volume: 400')
        or diag(explain $j);

    # -v /path: an anonymous volume, as inspect shows it

    ($rc, $out, $err) = $t->docker('create', '--name', 'anon', '-v',
        '/data', '-v', "$src:/b:ro", '-v', 'named1:/n', 'busybox',
        'sh', '-c', 'echo a > /data/a.txt');
    my $c = $t->inspect('anon');
    my %m = map { $_->{Destination} => $_ } @{ $c->{Mounts} // [] };
    my $anon = $m{'/data'}{Name} // '';
    my $vol = $t->inspect_volume($anon);

    ok($anon =~ /^[0-9a-f]{64}$/ && $vol
       && exists $vol->{Labels}{'com.docker.volume.anonymous'},
       '-v /data: a 64-hex volume labelled com.docker.volume.anonymous')
        or diag(explain [$c->{Mounts}, $vol]);

    is_deeply($m{'/data'}, { Type => 'volume', Name => $anon,
        Source => $vol->{Mountpoint}, Destination => '/data',
        Driver => 'local', Mode => '', RW => JSON::PP::true(),
        Propagation => '' }, 'inspect Mounts: the anonymous volume');

    is_deeply($m{'/b'}, { Type => 'bind', Source => $src,
        Destination => '/b', Mode => 'ro', RW => JSON::PP::false(),
        Propagation => 'rprivate' }, 'inspect Mounts: the bind');

    my $n1 = $t->inspect_volume('named1');
    is_deeply($m{'/n'}, { Type => 'volume', Name => 'named1',
        Source => $n1 ? $n1->{Mountpoint} : '', Destination => '/n',
        Driver => 'local', Mode => 'z', RW => JSON::PP::true(),
        Propagation => '' }, 'inspect Mounts: the named volume');

    ($rc, $out) = $t->docker('ps', '-a', '--no-trunc', '--format',
                             '{{.Names}} {{.Mounts}}');
    like($out, qr{^anon (?=.*named1)(?=.*\Q$anon\E)(?=.*\Q$src\E)}m,
         'ps shows the mounts') or diag($out);

    # ps --filter volume=: a volume's name, a bind's source, a destination

    my @vf = map {
        my ($rc, $out) = $t->docker('ps', '-a', '--format', '{{.Names}}',
                                    '--filter', "volume=$_");
        $out
    } ('named1', $src, '/data', 'no-such-volume');
    is_deeply(\@vf, [ "anon\n", "anon\n", "anon\n", '' ],
              'ps --filter volume= by name, bind source and destination')
        or diag(explain \@vf);

    ($rc, $out, $err) = $t->docker('start', '-a', 'anon');
    is($t->read_file("$vol->{Mountpoint}/a.txt"), "a\n",
       'the anonymous volume holds what the container wrote');

    # VolumesFrom: the same volumes and binds, here read-only

    ($rc, $out, $err) = $t->docker('run', '--name', 'from',
        '--volumes-from', 'anon:ro', 'busybox', 'sh', '-c',
        'cat /data/a.txt /b/in.txt; ls /n; echo x > /data/x 2>&1');
    my $f = $t->inspect('from');
    my %fm = map { $_->{Destination} => $_ } @{ $f->{Mounts} // [] };
    ok($out =~ /^a\nfrom the host\n/ && $rc != 0
       && ($fm{'/data'}{Name} // '') eq $anon
       && !$fm{'/data'}{RW} && ($fm{'/n'}{Name} // '') eq 'named1'
       && ($fm{'/b'}{Source} // '') eq $src,
       '--volumes-from anon:ro: the same mounts, read-only')
        or diag("$rc $out $err " . explain $f->{Mounts});

    ($rc, $out, $err) = $t->docker('volume', 'rm', $anon);
    like($err, qr/volume is in use/, 'a volume in use by Mounts stays');

    # docker system df -v: RefCount counts both containers

    my ($dst, $df) = $t->api_json('GET', '/system/df?type=volume');
    my ($u) = grep { $_->{Name} eq $anon } @{ $df->{Volumes} // [] };
    ok($u && $u->{UsageData}{RefCount} == 2 && $u->{UsageData}{Size} > 0,
       'system df: RefCount and Size of the volume')
        or diag(explain $u);

    # rm -v: anonymous volumes go once nobody uses them, named ones stay

    $t->docker('rm', '-v', 'anon');
    ok($t->inspect_volume($anon), 'rm -v keeps a volume another uses');
    $t->docker('rm', '-v', 'from');
    ok(!$t->inspect_volume($anon) && $t->inspect_volume('named1'),
       'rm -v removes the anonymous volume, keeps the named one');

    # --rm removes its anonymous volume as dockerd does

    ($rc, $out) = $t->docker('run', '--rm', '-v', '/scratch', 'busybox',
                             'sh', '-c', 'ls /scratch');
    ($rc, $out) = $t->docker('volume', 'ls', '-q', '--filter',
                             'label=com.docker.volume.anonymous');
    is($out, '', '--rm leaves no anonymous volume');

    # an image's VOLUME: an anonymous volume with the image's files

    ($rc, $out, $err) = $t->docker('run', '--name', 'img-vol',
        'vol-image:1', 'sh', '-c',
        'cat /data/seed.txt; echo; stat -c "%a %u" /data');
    is($out, "seeded\n750 1000\n",
       'an image VOLUME: its files copied into a new volume')
        or diag($err);

    ($rc, $out, $err) = $t->docker('run', '--rm', 'vol-image:1', 'sh', '-c',
        'stat -c "%h %i" /data/seed.txt /data/twin.txt');
    my ($one, $two) = split /\n/, $out // '';
    ok($one && $one =~ /^2 / && $one eq $two,
       'the copy-up keeps hard links as one file') or diag("$out$err");

    $c = $t->inspect('img-vol');
    my $iv = $t->inspect_volume($c->{Mounts}[0]{Name} // '');
    ok($iv && $t->read_file("$iv->{Mountpoint}/seed.txt") eq 'seeded'
       && exists $iv->{Labels}{'com.docker.volume.anonymous'},
       'the copy is in the anonymous volume');

    # a named volume empty at first is copied into; with nocopy it is not

    ($rc, $out) = $t->docker('run', '--rm', '-v', 'cp1:/data',
                             'vol-image:1', 'cat', '/data/seed.txt');
    ($rc, $out, $err) = $t->docker('run', '--rm', '-v', 'cp1:/data',
                                   'busybox', 'cat', '/data/seed.txt');
    is($out, 'seeded', 'a new named volume gets the image\'s files');

    ($rc, $out) = $t->docker('run', '--rm', '--mount',
        'source=cp2,target=/data,volume-nocopy', 'vol-image:1',
        'ls', '-A', '/data');
    is($out, '', 'volume-nocopy: nothing copied');

    ($rc, $out) = $t->docker('run', '--rm', '-v', "$src:/seed",
                             'vol-image:1', 'ls', '/seed');
    unlike($out, qr/s\.txt/, 'a bind is never copied into');

    # the Docker SDK for Python

    SKIP: {
        ($rc) = $t->command('python3', '-c', 'import docker');
        skip 'no Docker SDK for Python', 2 if $rc != 0;

        ($rc, $out, $err) = $t->python($t->write_file('sdk.py', <<"EOF"));
import docker
from docker.types import Mount
d = docker.from_env()
out = d.containers.run("busybox", ["sh", "-c",
    "cat /b/in.txt; echo sdk > /v/s.txt; grep -c ' /t tmpfs' /proc/mounts"],
    remove=True, mounts=[
        Mount("/b", "$src", type="bind", read_only=True),
        Mount("/v", "sdkvol", type="volume"),
        Mount("/t", None, type="tmpfs", tmpfs_size=65536)])
print(out.decode(), end="")
out = d.containers.run("busybox", ["cat", "/w/s.txt"], remove=True,
    volumes={"sdkvol": {"bind": "/w", "mode": "ro"}})
print(out.decode(), end="")
c = d.containers.create("busybox", ["true"], volumes=["/anon"])
m = c.attrs["Mounts"][0]
print(m["Type"], m["Destination"], m["RW"], len(m["Name"]))
c.remove(v=True)
print(len(d.volumes.list(filters={"name": m["Name"]})))
EOF
        is($out, "from the host\n1\nsdk\nvolume /anon True 64\n0\n",
           'Docker SDK: mounts=, volumes=, remove(v=True)') or diag($err);
        ok(-d $t->inspect_volume('sdkvol')->{Mountpoint},
           'Docker SDK: the named volume is there');
    }

    $t->docker('rm', '-f', 'img-vol');
}

# in a user namespace (namespaces off) the image's owners have no mapping:
# the copy-up keeps the files, with the agent's owner (files the mapped
# root cannot read stay unreadable there, as in the container itself)

SKIP: {
    my $u = Sockerless::Test->new
        ->backend("sockerless_backend memory;\n"
                  . "    sockerless_memory_namespaces off;")
        ->write_conf;
    $u->run;

    my $utar = $u->prefix . '/vu.tar';
    $u->command({ timeout => 120 }, 'python3',
        "$FindBin::Bin/lib/mkimage.py", '--tag', 'vol-image:2', '-o', $utar,
        '--volume', '/data', '--dir', '/data=755:1000:1000',
        '--file', '/data/seed.txt=seeded');
    $u->docker('load', '-i', $utar);

    ($rc, $out, $err) = $u->docker('run', '--rm', 'vol-image:2', 'cat',
                                   '/data/seed.txt');
    skip 'no user namespaces here', 1
        if $err =~ /needs root or user namespaces/;
    is($out, 'seeded', 'a user namespace: the image\'s files copied up')
        or diag($err);
    $u->done;
}

$t->done;


package Sockerless::Test;

sub inspect_volume {
    my ($self, $name) = @_;

    return undef if !$name;
    my ($rc, $out) = $self->docker('volume', 'inspect', $name);
    return undef if $rc != 0;
    my $j = eval { json_decode($out) };
    return ref $j eq 'ARRAY' ? $j->[0] : undef;
}
