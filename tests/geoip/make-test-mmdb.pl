#!/usr/bin/perl
# Writes a tiny MaxMind-format City database for tests: a few networks with a location.
#   make-test-mmdb.pl OUT.mmdb
# 127.0.0.0/8 is included on purpose (remove_reserved_networks => 0) so loopback clients
# of the test suite get coordinates.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift or die "usage: $0 OUT.mmdb\n";
my %types = (location => 'map', latitude => 'double', longitude => 'double', city => 'map', names => 'map',
             en => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
  ip_version => 6, record_size => 28, database_type => 'GeoLite2-City', languages => ['en'],
  description => {en => 'codestatsd test database'}, map_key_type_callback => sub { $types{$_[0]} },
  remove_reserved_networks => 0);
$tree->insert_network('127.0.0.0/8', {location => {latitude => 60.17345, longitude => 24.94102},
                                      city => {names => {en => 'Helsinki'}}});
$tree->insert_network('10.1.0.0/16', {city => {names => {en => 'Nowhere'}}});  # no location
open my $fh, '>:raw', $out or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close $fh;
