mod integration;
