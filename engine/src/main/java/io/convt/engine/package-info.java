package io.convt.engine;
