-- Runs once, when the postgres volume is first created: one database per service.
CREATE DATABASE lanyard_vending;
