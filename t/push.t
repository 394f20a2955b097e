#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker push against real registries (Debian's docker-registry, with and
# without htpasswd auth): the progress stream, the pushed image pulled back
# and run, layers that already exist, dockerd's errors, the SDK's push,
# and image search's clear refusal.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test qw(json_decode);

my $t = Sockerless::Test->new;

plan(skip_all => 'no docker-registry (make deps installs it)')
    unless $t->has_tool('docker-registry');

$t->write_conf('sockerless_registry_timeout 5s;')->plan(23);
$t->run;

my ($rc, $out, $err, $st, $j);

my $reg = $t->start_registry;
ok($reg && $t->load_busybox, 'a registry and a local busybox')
    or BAIL_OUT('no registry');

($rc, $out, $err) = $t->docker('tag', 'busybox:latest', "$reg/app:v1");
($rc, $out, $err) = $t->docker({ timeout => 120 }, 'push', "$reg/app:v1");
ok($rc == 0, 'docker push') or diag("$out$err");
like($out, qr/^The push refers to repository \[\Q$reg\E\/app\]$/m,
     'push: The push refers to repository');
like($out, qr/^[0-9a-f]{12}: Pushed$/m, 'push: Pushed');
my ($digest) = $out =~ /^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m;
ok($digest, 'push: the digest line') or diag($out);

($st, $j) = $t->api_json('GET', "/images/$reg/app:v1/json");
ok($st == 200 && $digest
   && grep({ $_ eq "$reg/app\@$digest" } @{ $j->{RepoDigests} // [] }),
   'RepoDigests has the pushed digest') or diag(explain $j);

# the registry has what was pushed: its manifest by digest, pulled back

($rc, $out, $err) = $t->docker('rmi', "$reg/app:v1");
($rc, $out, $err) = $t->docker({ timeout => 120 }, 'pull', "$reg/app:v1");
ok($rc == 0 && $out =~ /^Digest: \Q$digest\E$/m, 'pull it back after rmi')
    or diag("$out$err");

($rc, $out, $err) = $t->docker('run', '--rm', "$reg/app:v1", 'echo',
                               'pushed');
is($out, "pushed\n", 'run of the pulled back image') or diag($err);

# again: the registry has the layer

($rc, $out, $err) = $t->docker({ timeout => 120 }, 'push', "$reg/app:v1");
ok($rc == 0 && $out =~ /^[0-9a-f]{12}: Layer already exists$/m
   && $out =~ /^v1: digest: \Q$digest\E size: \d+$/m,
   'push again: Layer already exists, same digest') or diag("$out$err");

($rc, $out, $err) = $t->docker('push', "$reg/nothere:v1");
ok($rc != 0 && $err =~ /An image does not exist locally with the tag: \Q$reg\E\/nothere/,
   'push of an image that does not exist') or diag("$out$err");

# the raw stream: progress with progressDetail and the aux line

my ($status, $h, $body) = $t->api('POST',
    "/v1.50/images/$reg/app/push?tag=v1", undef, timeout => 60);
my @lines = map { json_decode($_) } grep { /\S/ } split /\n/, $body;
ok($status == 200
   && (grep { ($_->{status} // '') eq 'Preparing' } @lines)
   && (grep { ($_->{aux}{Digest} // '') eq ($digest // 'none')
              && $_->{aux}{Tag} eq 'v1' && $_->{aux}{Size} > 0 } @lines),
   'the stream: Preparing and the aux line') or diag($body);

# a registry with htpasswd auth

my $areg = $t->start_registry(user => 'tester', password => 's3cret');
($rc, $out, $err) = $t->docker('tag', 'busybox:latest', "$areg/private/bb:v2");
($rc, $out, $err) = $t->docker('push', "$areg/private/bb:v2");
ok($rc != 0 && $err =~ /no basic auth credentials/,
   'push without login: no basic auth credentials') or diag("$out$err");

my $pwfile = $t->write_file('good-pw', "s3cret\n");
($rc, $out, $err) = $t->docker({ stdin => $pwfile }, 'login', '-u', 'tester',
                               '--password-stdin', $areg);
ok($rc == 0, 'docker login') or diag("$out$err");

($rc, $out, $err) = $t->docker({ timeout => 120 }, 'push',
                               "$areg/private/bb:v2");
ok($rc == 0 && $out =~ /^v2: digest: sha256:[0-9a-f]{64} size: \d+$/m,
   'push after login') or diag("$out$err");

($rc, $out, $err) = $t->docker('rmi', "$areg/private/bb:v2");
($rc, $out, $err) = $t->docker({ timeout => 120 }, 'pull',
                               "$areg/private/bb:v2");
ok($rc == 0, 'pull of the pushed private image') or diag("$out$err");

# a wrong password: the registry's refusal, not a success

($status, $h, $body) = $t->api('POST',
    "/v1.50/images/$areg/private/bb/push?tag=v2",
    undef, timeout => 60,
    headers => { 'X-Registry-Auth' => auth_b64('tester', 'wrong') });
ok($body =~ /"error":"[^"]*(denied|unauthorized)/, 'push with a wrong password')
    or diag($body);

# the Docker SDK for Python

($rc, $out, $err) = $t->python(<<"PY");
import docker
c = docker.DockerClient(base_url="tcp://127.0.0.1:@{[ $t->port ]}")
c.images.get("busybox:latest").tag("$reg/sdk", tag="s1")
aux = None
for line in c.images.push("$reg/sdk", tag="s1", stream=True, decode=True):
    if "error" in line:
        raise SystemExit(line["error"])
    if "aux" in line:
        aux = line["aux"]
print(aux["Tag"], aux["Digest"])
PY
ok($rc == 0 && $out =~ /^s1 sha256:[0-9a-f]{64}$/m,
   'Docker SDK images.push with stream decode') or diag("$out$err");

# search: no index to ask

($st, $j) = $t->api_json('GET', '/images/search?term=busybox');
ok($st == 501 && $j->{message} =~ /image search is not supported/,
   'image search: 501 with a clear message') or diag(explain $j);

($rc, $out, $err) = $t->docker('search', 'busybox');
ok($rc != 0 && $err =~ /image search is not supported/,
   'docker search: the message') or diag("$out$err");

# a client that goes while the layer is made (a 50 MiB image, after the
# first line): the push stops, its files go, the error log stays clean
# (done checks it), and the next push of the image works

my ($bigdigest) = $t->push_busybox($reg, 'big', 'v1', pad => 50);
($rc, $out, $err) = $t->docker({ timeout => 120 }, 'pull', "$reg/big:v1");
($rc, $out, $err) = $t->docker('tag', "$reg/big:v1", "$reg/bigcopy:v1");
ok($bigdigest && $rc == 0, 'a 50 MiB image pulled and tagged')
    or diag("$out$err");

# the push's files (list; a count in scalar context)
sub leftovers {
    my @left = glob("$t->{data}/tmp/*");
    return @left;
}

my (undef, undef, $seen) = $t->api('POST',
    "/v1.50/images/$reg/bigcopy/push?tag=v1", undef,
    until => qr/The push refers to repository/, timeout => 60);
like($seen, qr/The push refers to repository/,
     'push: the client goes after the first line');

ok($t->wait_for(60, sub { !leftovers() }),
   'push: no temporary files left') or diag(join "\n", leftovers());

($rc, $out, $err) = $t->docker({ timeout => 120 }, 'push', "$reg/bigcopy:v1");
ok($rc == 0 && $out =~ /^v1: digest: sha256:[0-9a-f]{64} size: \d+$/m,
   'the next push of the image works') or diag("$out$err");

$t->done;


sub auth_b64 {
    my ($user, $pass) = @_;

    require MIME::Base64;

    return MIME::Base64::encode_base64url(Sockerless::Test::json_encode(
        { username => $user, password => $pass }));
}
