#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker pull and docker login against real registries (Debian's
# docker-registry, with and without htpasswd auth) and a misbehaving one:
# progress, run of the pulled image, digests, up to date, dockerd's errors
# and a registry that hangs.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test qw(json_decode);

my $t = Sockerless::Test->new;

plan(skip_all => 'no docker-registry (make deps installs it)')
    unless $t->has_tool('docker-registry');

$t->write_conf('sockerless_registry_timeout 3s;')->plan(37);
$t->run;

my ($rc, $out, $err, $st, $j);

my $reg = $t->start_registry;
my ($mdigest, $idigest) = $reg
    ? $t->push_busybox($reg, 'busybox', 'latest', index_tag => 'multi')
    : ();
ok($mdigest && $idigest, 'busybox pushed to the registry')
    or BAIL_OUT('no registry');

($rc, $out, $err) = $t->docker({ timeout => 120 }, 'pull', "$reg/busybox");
ok($rc == 0, 'docker pull') or diag("$out$err");
like($out, qr/^latest: Pulling from busybox$/m, 'pull: Pulling from');
like($out, qr/^[0-9a-f]{12}: Pull complete$/m, 'pull: Pull complete');
like($out, qr/^Digest: \Q$mdigest\E$/m, 'pull: the manifest digest');
like($out, qr/^Status: Downloaded newer image for \Q$reg\E\/busybox:latest$/m,
     'pull: Downloaded newer image');

($rc, $out, $err) = $t->docker('run', '--rm', "$reg/busybox", 'echo',
                               'pulled');
is($out, "pulled\n", 'docker run of the pulled image') or diag($err);

($st, $j) = $t->api_json('GET', "/images/$reg/busybox/json");
ok($st == 200 && $j->{Id} =~ /^sha256:[0-9a-f]{64}$/
   && grep({ $_ eq "$reg/busybox\@$mdigest" } @{ $j->{RepoDigests} // [] })
   && grep({ $_ eq "$reg/busybox:latest" } @{ $j->{RepoTags} // [] }),
   'inspect: tag and RepoDigests') or diag(explain $j);

($rc, $out, $err) = $t->docker('events', '--since', 0, '--until',
                               time + 1, '--filter', 'event=pull',
                               '--format', '{{.Actor.ID}} '
                               . '{{.Actor.Attributes.name}}');
is($out, "$reg/busybox:latest $reg/busybox\n",
   'a pull event: the reference, and its name without the tag')
    or diag($err);

($rc, $out) = $t->docker('pull', "$reg/busybox");
like($out, qr/^Status: Image is up to date for \Q$reg\E\/busybox:latest$/m,
     'pull again: up to date');

($rc, $out, $err) = $t->docker('pull', "$reg/busybox\@$mdigest");
ok($rc == 0 && $out =~ /^Digest: \Q$mdigest\E$/m, 'pull by digest')
    or diag("$out$err");

($rc, $out, $err) = $t->docker('pull', "$reg/busybox:multi");
ok($rc == 0 && $out =~ /^Digest: \Q$idigest\E$/m
   && $out =~ /Status: Downloaded newer image for \Q$reg\E\/busybox:multi/,
   'pull of an OCI index: the linux manifest of this machine')
    or diag("$out$err");

# the raw stream: dockerd's JSON lines, with progress for the bars

($rc, $out) = $t->docker('rmi', "$reg/busybox:latest", "$reg/busybox:multi",
                         "$reg/busybox\@$mdigest");
my ($status, $h, $body) = $t->api('POST',
    "/v1.50/images/create?fromImage=$reg/busybox&tag=latest",
    undef, timeout => 60);
my @lines = map { json_decode($_) } grep { /\S/ } split /\n/,
    $body;
ok($status == 200 && (grep { ($_->{status} // '') eq 'Pulling fs layer'
                             && ref $_->{progressDetail} eq 'HASH' } @lines)
   && (grep { ($_->{status} // '') eq 'Downloading'
              && $_->{progressDetail}{total}
              && $_->{progress} =~ /^\[=*>? *\] / } @lines)
   && (grep { ($_->{status} // '') eq 'Verifying Checksum' } @lines)
   && (grep { ($_->{status} // '') eq 'Download complete' } @lines),
   'the stream has dockerd\'s progress lines') or diag($body);

# dockerd's words for what the registry has not got

($rc, $out, $err) = $t->docker('pull', "$reg/busybox:nope");
ok($rc != 0 && $err =~ /manifest for \Q$reg\E\/busybox:nope not found: manifest unknown: manifest unknown/,
   'unknown tag: manifest unknown') or diag("$out$err");

# distribution 2.8 says "manifest unknown" for a repository it has not got
($st, $j) = $t->api_json('POST', "/images/create?fromImage=$reg/nosuch&tag=1");
ok($st == 404 && $j->{message} =~ /^manifest for \Q$reg\E\/nosuch:1 not found: manifest unknown/,
   'unknown repository: 404 with dockerd\'s words') or diag(explain $j);

($st, $j) = $t->api_json('POST', '/images/create?fromImage=Bad/Name');
ok($st == 400 && $j->{message} =~ /invalid reference format/,
   'bad reference: 400') or diag(explain $j);

# a registry with htpasswd auth: login, pull, a wrong password

my $areg = $t->start_registry(user => 'tester', password => 's3cret');
my ($adigest) = $areg
    ? $t->push_busybox($areg, 'private/bb', 'v1', user => 'tester',
                       password => 's3cret')
    : ();
ok($adigest, 'pushed to the auth registry');

($rc, $out, $err) = $t->docker('pull', "$areg/private/bb:v1");
ok($rc != 0 && $err =~ /no basic auth credentials/,
   'pull without login: no basic auth credentials') or diag("$out$err");

my $pwfile = $t->write_file('wrong-pw', "wrong\n");
($rc, $out, $err) = $t->docker({ stdin => $pwfile }, 'login', '-u', 'tester',
                               '--password-stdin', $areg);
ok($rc != 0 && $err =~ /401 Unauthorized/, 'login with a wrong password')
    or diag("$out$err");

$pwfile = $t->write_file('good-pw', "s3cret\n");
($rc, $out, $err) = $t->docker({ stdin => $pwfile }, 'login', '-u', 'tester',
                               '--password-stdin', $areg);
ok($rc == 0 && $out =~ /Login Succeeded/, 'docker login') or diag("$out$err");

($rc, $out, $err) = $t->docker('pull', "$areg/private/bb:v1");
ok($rc == 0 && $out =~ /Downloaded newer image for \Q$areg\E\/private\/bb:v1/,
   'pull after login') or diag("$out$err");

($rc, $out, $err) = $t->docker('run', '--rm', "$areg/private/bb:v1", 'echo',
                               'private');
is($out, "private\n", 'run of the private image') or diag($err);

# a registry that misbehaves

my $fake = $t->spawn('python3', "$FindBin::Bin/lib/fakereg.py");
my $fport;
$t->wait_for(20, sub { ($fport) = $fake->stdout =~ /^(\d+)$/m; $fport });
my $freg = "127.0.0.1:" . ($fport // 0);

($st, $j) = $t->api_json('POST', "/images/create?fromImage=$freg/nosuch");
ok($st == 404 && $j->{message} eq "repository $freg/nosuch not found: name "
   . 'unknown: repository name not known to registry',
   'NAME_UNKNOWN: dockerd\'s words') or diag(explain $j);

($rc, $out, $err) = $t->docker('pull', "$freg/bad/manifest");
ok($rc != 0 && $err =~ /invalid manifest/, 'a malformed manifest: an error')
    or diag("$out$err");

($rc, $out, $err) = $t->docker('pull', "$freg/bad/digest");
ok($rc != 0
   && "$out$err" =~ /filesystem layer verification failed for digest sha256:/,
   'a layer that does not match its digest: an error') or diag("$out$err");

($st, $j) = $t->api_json('GET', "/images/$freg/bad/digest/json");
is($st, 404, 'nothing recorded after a digest mismatch');

($rc, $out, $err) = $t->docker({ timeout => 60 }, 'pull', "$freg/bad/hang");
ok($rc != 0 && $err =~ /request canceled/, 'a registry that hangs: an error')
    or diag("$out$err");

# a client that gives up on it first: its registry request is cancelled
# (no thread task yet), which the clean error log at the end tells

($st) = $t->api('POST', "/v1.50/images/create?fromImage=$freg/bad/hang",
                undef, timeout => 1);
is($st, 0, 'a client that gives up while the registry hangs');

# the Docker SDK for Python

($rc, $out, $err) = $t->python(<<"PY");
import docker
c = docker.DockerClient(base_url="tcp://127.0.0.1:@{[ $t->port ]}")
img = c.images.pull("$reg/busybox", tag="multi")
print(img.id, sorted(img.attrs["RepoDigests"]))
PY
ok($rc == 0 && $out =~ /^sha256:[0-9a-f]{64} .*\Q$idigest\E/,
   'Docker SDK images.pull') or diag("$out$err");

# a client that goes in the middle of a pull (after the first Downloading
# line, while the first layer is unpacked and the next one comes): the
# pull stops, nothing of it stays under the data dir, the error log stays
# clean (done checks it), and the next pull of the image works

my ($bigdigest) = $t->push_busybox($reg, 'big', 'v1', pad => 50);
ok($bigdigest, 'a 50 MiB image pushed to the registry');

# the pull's files, its half-made rootfs (list; a count in scalar context)
sub leftovers {
    my $d = $t->{data};
    my @left = (glob("$d/tmp/*"), glob("$d/images/*.tmp*"));
    return @left;
}

my (undef, undef, $seen) = $t->api('POST',
    "/v1.50/images/create?fromImage=$reg/big&tag=v1", undef,
    until => qr/"status":"Downloading"/, timeout => 60);
like($seen, qr/"status":"Downloading"/,
     'pull: the client goes after the first Downloading line');

ok($t->wait_for(30, sub { !leftovers() }),
   'pull: no temporary files or half-made rootfs left')
    or diag(join "\n", leftovers());

($rc, $out, $err) = $t->docker({ timeout => 120 }, 'pull', "$reg/big:v1");
ok($rc == 0 && $out =~ /^Status: Downloaded newer image for \Q$reg\E\/big:v1$/m,
   'the next pull of the image works') or diag("$out$err");

($rc, $out, $err) = $t->docker('run', '--rm', "$reg/big:v1", 'wc', '-c',
                               '/pad.bin');
like($out, qr/^\s*52428800 \/pad.bin$/, 'its big layer is all there')
    or diag("$out$err");

# two clients pull the same image at once (as compose does for services
# that share one): each pull unpacks into a rootfs of its own

($rc, $out, $err) = $t->docker('rmi', "$reg/big:v1");
my @pulls = map { $t->docker_spawn('pull', "$reg/big:v1") } 1 .. 2;
my @rcs = map { $_->wait(120) // -1 } @pulls;
ok($rcs[0] == 0 && $rcs[1] == 0, 'two pulls of the same image at once')
    or diag(join '', map { $_->stdout . $_->stderr } @pulls);

($rc, $out, $err) = $t->docker('run', '--rm', "$reg/big:v1", 'wc', '-c',
                               '/pad.bin');
like($out, qr/^\s*52428800 \/pad.bin$/, 'the image they made runs')
    or diag("$out$err");

ok($t->wait_for(30, sub { !leftovers() }),
   'nothing left of either pull') or diag(join "\n", leftovers());

$t->done;
