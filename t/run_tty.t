#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker run -it in a real pseudo-terminal (tmux): size, resize, tty, TERM,
# exit status.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(9);
$t->run;

ok($t->load_busybox, 'busybox loaded');

SKIP: {
    skip 'no tmux', 8 unless $t->has_tool('tmux');

    my $tm = $t->tmux(100, 30, 'docker', 'run', '-it', '--rm',
                      '--name', 'tty1', 'busybox', 'sh');

    ok($tm->wait_screen(qr{^/ # }m, 60), 'shell prompt')
        or diag($tm->capture);

    $tm->type_line(q{stty size | sed 's/^/SZ:/'});
    ok($tm->wait_screen(qr/^SZ:30 100\s*$/m, 30), 'stty size is the '
       . 'terminal size') or diag($tm->capture);

    $tm->resize(120, 40);
    $tm->type_line(q{stty size | sed 's/^/RS:/'});
    ok($tm->wait_screen(qr/^RS:40 120\s*$/m, 30), 'stty size after resize')
        or diag($tm->capture);

    $tm->type_line(q{[ -t 0 ] && [ -t 1 ] && echo "IS""TTY"; tty});
    # the tty line comes after ISTTY: wait for both
    my $s = $tm->wait_screen(qr{^ISTTY\s*\n\S+\s*$}m, 30);
    ok($s, 'stdin and stdout are terminals') or diag($tm->capture);
    like($s // '', qr{^/dev/(?:pts/\d+|console|tty\w*)\s*$}m,
         'tty names a terminal device');

    $tm->type_line(q{echo "T=$TERM" ; echo "E""RR" >&2});
    ok($tm->wait_screen(qr/^T=xterm\s*\n(?:.*\n)*?ERR\s*$/m, 30),
       'TERM=xterm, stderr on the terminal') or diag($tm->capture);

    $tm->type_line('exit 7');
    is($tm->wait_exit(30), 7, 'exit status of the shell is the CLI\'s');

    my ($rc) = $t->docker('inspect', 'tty1');
    ok($rc != 0, '--rm removed the container');
}

$t->done;
