package io.convt.job;
