#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker events: the container and image actions, since and until, the
# filters on them (container, image, type, event, label), a live
# stream, and bad filters answered as dockerd does (events_objects.t:
# volumes, networks, images).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(15);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err, $st, $j);

# a live stream, opened before anything happens
my $live = $t->docker_spawn('events', '--filter', 'container=ev-one',
                            '--format', '{{.Type}} {{.Action}}');

my $since = time - 1;

($rc) = $t->docker('run', '--name', 'ev-one', '--label', 'team=blue',
                   'busybox', 'sh', '-c', 'exit 2');
is($rc, 2, 'a container ran');
($rc) = $t->docker('rm', 'ev-one');
is($rc, 0, 'and was removed');
$t->docker('run', '--rm', '--name', 'ev-two', '--label', 'team=red',
           'busybox', 'true');
($rc) = $t->docker('tag', 'busybox', 'ev/tagged:1');
is($rc, 0, 'an image tagged');
$t->docker('rmi', 'ev/tagged:1');

ok($live->wait_output(qr/^container destroy$/m, 30),
   'streamed events arrive as they happen') or diag($live->stdout);
my @seen = split /\n/, $live->stdout;
is_deeply([grep { !/exec_/ } @seen],
          ['container create', 'container attach', 'container start',
           'container die', 'container destroy'],
          'the stream is filtered to the one container, in order')
    or diag(explain(\@seen));
$live->kill;

my $until = time + 1;

sub events {
    my ($rc, $out, $err) = $t->docker('events', '--since', $since,
                                      '--until', $until, '--format',
                                      '{{.Type}} {{.Action}} '
                                      . '{{.Actor.Attributes.name}}', @_);
    return $rc == 0 ? $out : "error: $err";
}

like(events('--filter', 'container=ev-one'),
     qr/^container die ev-one$/m, 'since/until: past events replayed');
my $die = events('--filter', 'container=ev-one', '--filter', 'event=die');
is($die, "container die ev-one\n", 'event filter');
my $img = events('--filter', 'type=image');
ok($img =~ /^image tag /m && $img =~ /^image untag /m
   && $img !~ /^container /m, 'type filter: image tag and untag')
    or diag($img);
# exec events: created, started, died with its exit code
$t->docker('run', '-d', '--name', 'ev-x', 'busybox', 'sleep', '300');
($rc) = $t->docker('exec', 'ev-x', 'sh', '-c', 'exit 5');
is($rc, 5, 'an exec ran');
$until = time + 1;
my $ex;
($rc, $ex) = $t->docker('events', '--since', $since, '--until', $until,
                        '--filter', 'container=ev-x', '--format',
                        '{{.Action}} {{.Actor.Attributes.exitCode}}');
ok($ex =~ /^exec_create: sh -c exit 5 /m
   && $ex =~ /^exec_start: sh -c exit 5 /m && $ex =~ /^exec_die 5$/m, 'exec_create, exec_start, exec_die')
    or diag($ex);
$t->docker('rm', '-f', 'ev-x');

my $red = events('--filter', 'label=team=red', '--filter', 'event=start');
is($red, "container start ev-two\n", 'label filter') or diag($red);
my $anc = events('--filter', 'image=busybox', '--filter', 'event=destroy');
ok($anc =~ /^container destroy ev-one$/m
   && $anc =~ /^container destroy ev-two$/m, 'image filter on containers')
    or diag($anc);

($st, $j) = $t->api_json('GET', '/events?until=1&filters='
                         . '%7B%22nosuchkey%22%3A%5B%22x%22%5D%7D');
ok($st == 400 && ($j->{message} // '') eq "invalid filter 'nosuchkey'",
   'unknown filter key: 400') or diag("$st");
($st, $j) = $t->api_json('GET', '/events?until=1&filters=%7Bnot-json');
ok($st == 400 && ($j->{message} // '') =~ /invalid filter/,
   'malformed filters: 400') or diag("$st");

$t->done;
