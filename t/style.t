#!/usr/bin/perl
# Copyright (C) sockerless contributors
#
# Every C file follows the mechanical rules of STYLE.md section 3.

use strict;
use warnings;
use FindBin;
use Test::More;

my $top = "$FindBin::Bin/..";
my @files = grep { -f } map { glob("$top/$_") }
    qw(ngx_sockerless/*.[ch] backends/*.[ch] agent/*.[ch] t/unit/*.[ch]
       t/fuzz/*.[ch]);

plan tests => 1;

my $out = `perl $top/t/lib/checksrc.pl @files 2>&1`;
is($out, '', 'C sources follow the house style') or diag($out);
