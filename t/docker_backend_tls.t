#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# sockerless_docker_endpoint https://: the gateway in front of a dockerd
# that runs with --tlsverify, with a client certificate of its own; and a
# daemon whose certificate is not trusted is refused.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha256_hex);
use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new;

plan skip_all => 'a dockerd of its own needs root' unless $t->is_root;
plan skip_all => 'no dockerd or openssl'
    unless $t->has_tool('dockerd') && $t->has_tool('openssl');

# a CA, the daemon's certificate for 127.0.0.1, the gateway's client one

my $p = $t->{prefix};
my $pki = $t->write_file('pki.sh', <<'SH');
set -e
cd "$1"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem \
    -days 2 -subj /CN=sockerless-test-ca
q openssl req -x509 -newkey rsa:2048 -nodes -keyout other-key.pem \
    -out other.pem -days 2 -subj /CN=another-ca
q openssl req -newkey rsa:2048 -nodes -keyout server-key.pem \
    -out server.csr -subj /CN=dockerd
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
    > server.ext
q openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem \
    -CAcreateserial -out server.pem -days 2 -extfile server.ext
q openssl req -newkey rsa:2048 -nodes -keyout client-key.pem \
    -out client.csr -subj /CN=sockerless
printf 'extendedKeyUsage=clientAuth\n' > client.ext
q openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem \
    -CAcreateserial -out client.pem -days 2 -extfile client.ext
echo ok
SH
my ($rc, $out, $err) = $t->command('sh', $pki, $p);
BAIL_OUT("certificates: $err") unless $out eq "ok\n";

my $dport = Sockerless::Test::free_port();
$t->start_dockerd($dport, '--tlsverify', '--tlscacert', "$p/ca.pem",
                  '--tlscert', "$p/server.pem", '--tlskey',
                  "$p/server-key.pem")
    or plan skip_all => "dockerd does not start here: $t->{dockerd_err}";

$t->backend("sockerless_backend docker;\n"
            . "    sockerless_docker_endpoint https://127.0.0.1:$dport;\n"
            . "    sockerless_docker_tls_certificate $p/client.pem;\n"
            . "    sockerless_docker_tls_certificate_key $p/client-key.pem;\n"
            . "    sockerless_docker_tls_trusted_certificate $p/ca.pem;")
  ->write_conf->plan(6);
$t->run;

($rc, $out, $err) = $t->dockerd_cli('load', '-i', $t->busybox_tar);
ok($rc == 0, 'busybox loaded into dockerd') or diag($err);

($rc, $out) = $t->docker('version', '--format',
                         '{{range .Server.Components}}{{.Name}};{{end}}');
ok($rc == 0 && $out =~ /^Engine;.*sockerless;/, 'version over TLS')
    or diag($out);

my $data = join '', map { chr(($_ * 7) % 256) } 1 .. (4 << 20);
my $in = $t->write_file('in.bin', $data);
($rc, $out) = $t->docker_in($in, 'run', '-i', '--rm', '--network', 'none',
                            'busybox', 'cat');
ok($rc == 0 && sha256_hex($out) eq sha256_hex($data),
   'run -i cat over TLS: 4 MiB round trip, stdin EOF passed on');

($rc, $out) = $t->docker('run', '--rm', '--network', 'none', 'busybox',
                         'sh', '-c', 'exit 6');
is($rc, 6, 'exit code over TLS');

# the same daemon, but the gateway trusts another CA

my $u = Sockerless::Test->new;
$u->backend("sockerless_backend docker;\n"
            . "    sockerless_docker_endpoint https://127.0.0.1:$dport;\n"
            . "    sockerless_docker_tls_certificate $p/client.pem;\n"
            . "    sockerless_docker_tls_certificate_key $p/client-key.pem;\n"
            . "    sockerless_docker_tls_trusted_certificate $p/other.pem;")
  ->write_conf->run;
$u->{planned} = 1;

my ($st, $j) = $u->api_json('GET', '/v1.41/containers/json');
ok($st == 502 && ($j->{message} // '') =~ /certificate that is not trusted/,
   'a daemon whose certificate is not trusted: 502') or diag($st);
$u->done;

$t->done;
