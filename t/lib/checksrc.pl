#!/usr/bin/perl
# Copyright (C) sockerless contributors
#
# The house style's mechanical rules (STYLE.md section 3) for C files:
# 80 columns, no tabs, no trailing blanks, no // comments, a copyright.
# Prints one line per violation; exits 1 when there is any.

use strict;
use warnings;

my $bad = 0;

for my $file (@ARGV) {
    open(my $fh, '<', $file) or die "$file: $!\n";
    my $n = 0;
    my $copyright = 0;
    my $in_string = 0;

    while (my $line = <$fh>) {
        $n++;
        chomp $line;
        $copyright = 1 if $n <= 5 && $line =~ /Copyright \(C\)/;

        if (length($line) > 80) {
            print "$file:$n: longer than 80 columns\n";
            $bad++;
        }
        if ($line =~ /\t/) {
            print "$file:$n: tab\n";
            $bad++;
        }
        if ($line =~ /[ \t]+$/) {
            print "$file:$n: trailing blank\n";
            $bad++;
        }

        # a // outside strings and outside /* */ comments
        (my $code = $line) =~ s{"(?:\\.|[^"\\])*"}{""}g;
        $code =~ s{/\*.*?\*/}{}g;
        if ($code =~ m{(^|[^:*])//}) {
            print "$file:$n: // comment\n";
            $bad++;
        }
    }

    unless ($copyright) {
        print "$file: no copyright line\n";
        $bad++;
    }
}

exit($bad ? 1 : 0);
