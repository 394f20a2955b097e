#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker-compose 1.29 (Debian's) on sockerless: a project of a busybox
# httpd and a client that depends on it and fetches from it by service
# name into a named volume; up -d, ps, logs, exec, down -v, and nothing
# of the project is left afterwards. As root the two run in their own
# network namespaces on the project's network.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new;

plan(skip_all => 'docker-compose is not installed (make deps)')
    unless $t->has_tool('docker-compose');

$t->write_conf;
$t->run;

ok($t->load_busybox, 'busybox loaded');

my $dir = $t->prefix . '/proj';
mkdir $dir;
$t->write_file("$dir/docker-compose.yml", <<'YML');
version: "3.7"
services:
  server:
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-server > /www/index.html && exec httpd -f -p 80 -h /www"]
  client:
    image: busybox
    depends_on: [server]
    command: ["sh", "-c", "until wget -qO- http://server/ > /data/got; do sleep 0.2; done; cat /data/got; exec sleep 300"]
    volumes:
      - data:/data
volumes:
  data:
YML

sub compose {
    my (@args) = @_;
    return $t->command({
        timeout => 120,
        env => { %{ $t->docker_env }, COMPOSE_PROJECT_NAME => 'slsproj' },
        name => join(' ', 'docker-compose', @args),
    }, 'docker-compose', '-f', "$dir/docker-compose.yml", @args);
}

my ($rc, $out, $err) = compose('up', '-d');
is($rc, 0, 'up -d') or diag($out, $err);

($rc, $out) = $t->docker('network', 'ls', '--format', '{{.Name}}',
                         '--filter', 'name=slsproj');
is($out, "slsproj_default\n", 'the project\'s network');

($rc, $out) = $t->docker('volume', 'ls', '-q', '--filter', 'name=slsproj');
is($out, "slsproj_data\n", 'the project\'s volume');

($rc, $out, $err) = compose('ps');
ok($rc == 0 && $out =~ /slsproj_server_1\s.*Up/ && $out =~ /slsproj_client_1\s.*Up/,
   'ps: both up') or diag($out, $err);

my $got = '';
for (1 .. 100) {
    ($rc, $got) = compose('logs', '--no-color', 'client');
    last if $got =~ /hello-from-server/;
    select undef, undef, undef, 0.2;
}
like($got, qr/client_1\s+\| hello-from-server/,
     'logs: the client fetched from the server by its service name');

($rc, $out, $err) = compose('exec', '-T', 'client', 'cat', '/data/got');
is($out, "hello-from-server\n", 'exec: the file in the named volume')
    or diag($err);

($rc, $out, $err) = compose('exec', '-T', 'client', 'wget', '-qO-',
                            'http://slsproj_server_1/');
is($out, "hello-from-server\n", 'the server by its container name too')
    or diag($err);

my $c = $t->inspect('slsproj_client_1');
my $ep = $c->{NetworkSettings}{Networks}{slsproj_default};
ok($ep && $ep->{IPAddress} =~ /^172\.\d+\.\d+\.\d+$/
   && (grep { $_ eq 'client' } @{ $ep->{Aliases} }),
   'the client\'s endpoint, with its service name as alias')
    or diag(explain($c->{NetworkSettings}));

SKIP: {
    skip 'network namespaces need root', 1 unless $t->is_root;

    ($rc, $out) = compose('exec', '-T', 'client', 'ip', '-o', '-4', 'addr');
    ok($out =~ /eth0\s+inet \Q$ep->{IPAddress}\E\//
       && $out !~ /127\.0\.0\.1.*eth|docker0/,
       'the client has its own network namespace') or diag($out);
}

($rc, $out, $err) = compose('down', '-v');
is($rc, 0, 'down -v') or diag($out, $err);

($rc, $out) = $t->docker('ps', '-aq');
is($out, '', 'no container left');
($rc, $out) = $t->docker('network', 'ls', '-q', '--filter', 'type=custom');
is($out, '', 'no network left');
($rc, $out) = $t->docker('volume', 'ls', '-q');
is($out, '', 'no volume left');

$t->done;
done_testing();
