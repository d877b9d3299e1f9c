uniffi::setup_scaffolding!("poke");
