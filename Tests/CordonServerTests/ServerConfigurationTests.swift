import CordonServer
import Testing

/// `CORDON_*` variables set the configuration; a value that does not parse or cannot work is
/// refused with its name, and nothing else is changed by a refused value.
@Suite struct ServerConfigurationTests {
    @Test func environmentSetsEveryDocumentedValue() throws {
        var c = ServerConfiguration()
        try c.apply(environment: [
            "CORDON_DB": "/var/lib/cordon.db", "CORDON_HOST": "0.0.0.0", "CORDON_PORT": "9000", "CORDON_SET": "eu",
            "CORDON_BODY_LIMIT": "1024", "CORDON_ZONE_BODY_LIMIT": "2048", "CORDON_BATCH_LIMIT": "50", "CORDON_RATE_LIMIT": "10",
            "CORDON_RATE_BURST": "20", "CORDON_RETENTION_DAYS": "30", "CORDON_FLUSH_INTERVAL": "0.25",
            "CORDON_MAX_VEHICLES": "5000", "CORDON_EVICT_AFTER": "7200",
        ])
        #expect(c.databasePath == "/var/lib/cordon.db" && c.host == "0.0.0.0" && c.port == 9000 && c.setName == "eu")
        #expect(c.bodyLimit == 1024 && c.zoneBodyLimit == 2048 && c.batchLimit == 50)
        #expect(c.rateLimit == 10 && c.rateBurst == 20 && c.retentionDays == 30 && c.flushInterval == 0.25)
        #expect(c.maximumVehicles == 5000 && c.evictAfter == 7200 && c.evictionInterval == 300)
    }

    @Test(arguments: [
        ("CORDON_PORT", "http", "CORDON_PORT=http"),
        ("CORDON_PORT", "70000", "port 70000"),
        ("CORDON_BATCH_LIMIT", "0", "batch limit"),
        ("CORDON_RETENTION_DAYS", "-1", "retention"),
        ("CORDON_FLUSH_INTERVAL", "0", "flush interval"),
        ("CORDON_FLUSH_INTERVAL", "7200", "flush interval"),
        ("CORDON_FLUSH_INTERVAL", "soon", "CORDON_FLUSH_INTERVAL=soon"),
        ("CORDON_MAX_VEHICLES", "0", "vehicle limit"),
        ("CORDON_MAX_VEHICLES", "many", "CORDON_MAX_VEHICLES=many"),
        ("CORDON_EVICT_AFTER", "-1", "eviction time"),
    ])
    func badValuesAreRefusedByName(_ key: String, _ value: String, _ fragment: String) {
        var c = ServerConfiguration()
        #expect { try c.apply(environment: [key: value]) } throws: { "\($0)".contains(fragment) }
    }
}
