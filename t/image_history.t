#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker history (rows of the config's history, layer sizes recorded at
# load) and docker image prune (dangling only by default, never an image
# a container uses, filters, the prune event).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(14);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err, $st, $j);

my (undef, $img) = $t->api_json('GET', '/images/busybox/json');

($st, $j) = $t->api_json('GET', '/images/busybox/history');
ok($st == 200 && ref $j eq 'ARRAY' && @$j == 1
   && $j->[0]{Id} eq $img->{Id} && $j->[0]{Created} == 1704067200
   && $j->[0]{CreatedBy} =~ /mkimage\.py/
   && grep({ $_ eq 'busybox:latest' } @{ $j->[0]{Tags} // [] }),
   'history: the config\'s row, the image id and tags') or diag(explain($j));
ok($j->[0]{Size} > 1000000 && $j->[0]{Size} <= $img->{Size},
   'history: the layer\'s unpacked size') or diag(explain($j));

($rc, $out, $err) = $t->docker('history', '--no-trunc', '--format',
                               '{{.ID}} {{.CreatedBy}}', 'busybox');
like($out, qr/^\Q$img->{Id}\E t\/lib\/mkimage\.py/, 'docker history')
    or diag($err);

($st, $j) = $t->api_json('GET', '/images/nosuch:1/history');
ok($st == 404 && $j->{message} eq 'No such image: nosuch:1',
   'history of an unknown image: 404');

# prune: an untagged image goes, a tagged or used one stays

($rc) = $t->docker('tag', 'busybox', 'keep/me:1');
($rc, $out) = $t->docker('image', 'prune', '-f');
ok($rc == 0 && $out =~ /Total reclaimed space: 0B/,
   'prune: nothing dangling') or diag($out);

($rc, $out) = $t->docker('rmi', 'busybox', 'sockerless-test/busybox');
($rc, $out) = $t->docker('image', 'prune', '-f', '-a', '--filter',
                         'label=nosuch');
ok($rc == 0 && $out !~ /Deleted/, 'label filter keeps unlabelled images')
    or diag($out);

($rc, my $cid) = $t->docker('create', 'keep/me:1', 'true');
chomp $cid;
($rc, $out) = $t->docker('image', 'prune', '-f', '-a');
ok($rc == 0 && $out !~ /Deleted/, 'prune -a keeps an image in use')
    or diag($out);
$t->docker('rm', $cid);

($rc, $out) = $t->docker('image', 'prune', '-f', '-a', '--filter',
                         'until=2000-01-01T00:00:00Z');
ok($rc == 0 && $out !~ /Deleted/, 'until before its creation keeps it')
    or diag($out);

($rc, $out, $err) = $t->docker('image', 'prune', '-f', '-a');
ok($rc == 0 && $out =~ /^untagged: keep\/me:1$/mi
   && $out =~ /^deleted: \Q$img->{Id}\E$/mi
   && $out =~ /Total reclaimed space: [1-9][\d.]*MB/,
   'prune -a removes the unused image') or diag("$out$err");
my $hex = substr $img->{Id}, 7;
ok($t->wait_for(10, sub { !-d "$t->{data}/images/$hex" }),
   'and its files');

($st, $j) = $t->api_json('POST', '/images/prune?filters='
                         . '%7B%22dangling%22%3A%5B%22maybe%22%5D%7D');
ok($st == 400 && $j->{message} =~ /invalid filter 'dangling=\[?maybe/,
   'a non-boolean dangling: 400') or diag(explain($j));
($st, $j) = $t->api_json('POST', '/images/prune?filters='
                         . '%7B%22color%22%3A%5B%22red%22%5D%7D');
ok($st == 400 && $j->{message} eq "invalid filter 'color'",
   'an unknown filter: 400') or diag(explain($j));

($rc, $out) = $t->docker('events', '--since', time - 300, '--until',
                         time + 1, '--filter', 'type=image', '--format',
                         '{{.Action}} {{index .Actor.Attributes "reclaimed"}}');
ok($out =~ /^prune \d+$/m && $out =~ /^prune [1-9]\d+$/m,
   'prune events with the space reclaimed') or diag($out);

$t->done;
