-- The table cmd 1003 writes to and reads from (the original's module_test used it without shipping it).
-- MysqlHandler runs these statements, one per ';', before its first insert on each pool.
CREATE DATABASE IF NOT EXISTS mytest;
CREATE TABLE IF NOT EXISTS mytest.test_async_mysql (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    value VARCHAR(255) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
