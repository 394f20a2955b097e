#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# /_ping, /version, /info, API version prefixes and unknown paths, with raw
# HTTP and with the docker CLI.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test qw(json_decode);

my $t = Sockerless::Test->new->write_conf->plan(35);
$t->run;

my ($st, $h, $b) = $t->api('GET', '/_ping');
is($st, 200, 'GET /_ping');
is($b, 'OK', 'GET /_ping body');
is($h->{'api-version'}, '1.50', 'Api-Version');
is($h->{'ostype'}, 'linux', 'Ostype');
is($h->{'docker-experimental'}, 'false', 'Docker-Experimental');
like($h->{'builder-version'} // '', qr/^[12]$/, 'Builder-Version');
like($h->{'cache-control'} // '', qr/no-cache/, 'Cache-Control');
is($h->{'pragma'}, 'no-cache', 'Pragma');

($st, $h, $b) = $t->api('HEAD', '/_ping', undef, unix => 1);
is($st, 200, 'HEAD /_ping over the unix socket');
is($h->{'api-version'}, '1.50', 'HEAD Api-Version');
is($b, '', 'HEAD has no body');

($st, $h, $b) = $t->api('POST', '/_ping');
ok($st == 200 && $b eq 'OK', 'POST /_ping');

($st, $h, $b) = $t->api('GET', '/v1.41/_ping');
ok($st == 200 && $b eq 'OK', 'GET /v1.41/_ping');

my ($st2, $v) = $t->api_json('GET', '/version');
is($st2, 200, 'GET /version');
is($v->{ApiVersion}, '1.50', 'version ApiVersion');
ok(($v->{Os} // '') eq 'linux' && ($v->{Arch} // '') eq 'amd64',
   'version Os and Arch');
ok(($v->{Version} // '') ne '' && ($v->{MinAPIVersion} // '') =~ /^1\.\d+$/,
   'version Version and MinAPIVersion');
ok(ref $v->{Components} eq 'ARRAY'
   && grep({ ($_->{Name} // '') eq 'Engine' } @{ $v->{Components} }),
   'version Components has the Engine');

($st2, $v) = $t->api_json('GET', '/v1.50/version');
ok($st2 == 200 && ($v->{ApiVersion} // '') eq '1.50', 'GET /v1.50/version');

my $i;
($st2, $i) = $t->api_json('GET', '/info');
is($st2, 200, 'GET /info');
is($i->{OSType}, 'linux', 'info OSType');
is($i->{Architecture}, 'x86_64', 'info Architecture');
my ($cpus) = `nproc` =~ /(\d+)/;
is($i->{NCPU}, $cpus, 'info NCPU is the real CPU count');
cmp_ok($i->{MemTotal} // 0, '>', 0, 'info MemTotal');
ok(defined $i->{Containers} && defined $i->{ContainersRunning}
   && defined $i->{ContainersStopped} && defined $i->{ContainersPaused}
   && defined $i->{Images} && ($i->{ID} // '') ne ''
   && ($i->{ServerVersion} // '') ne '', 'info counters, ID, ServerVersion');

# errors, as dockerd words them
my $e;
($st2, $e) = $t->api_json('GET', '/nosuch/path');
ok($st2 == 404 && ($e->{message} // '') eq 'page not found',
   'unknown path: 404 page not found');
($st2, $e) = $t->api_json('GET', '/v1.50/nosuch');
ok($st2 == 404 && ($e->{message} // '') eq 'page not found',
   'unknown versioned path: 404 page not found');
($st2, $e) = $t->api_json('GET', '/v1.51/version');
is($st2, 400, 'version above 1.50: 400');
is($e->{message}, 'client version 1.51 is too new. '
   . 'Maximum supported API version is 1.50', 'version above 1.50: message');
($st2, $e) = $t->api_json('GET', '/v1.12/version');
ok($st2 == 400 && ($e->{message} // '') =~ /^client version 1\.12 is too old/,
   'version below the minimum: 400 too old');

# the CLI
my ($rc, $out, $err) = $t->docker('version');
is($rc, 0, 'docker version') or diag($err);
like($out, qr/Server:.*API version:\s+1\.50/s, 'docker version: server API');
($rc, $out, $err) = $t->docker({ unix => 1 }, 'info');
is($rc, 0, 'docker info over the unix socket') or diag($err);
like($out, qr/Containers: \d+.*Server Version: \S+/s, 'docker info fields');
like($out, qr/OSType: linux/, 'docker info OSType');

$t->done;
