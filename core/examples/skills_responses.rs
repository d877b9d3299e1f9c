//! Skills and stateless responses on the Pokee Enterprise API, against the bundled emulator:
//! install a skill from a directory, list and delete it; stream a stateless response
//! (surviving a forced disconnect); run the function-tool loop with a local function.
//! Run with `cargo run -p poke-sdk --example skills_responses`.

use futures_util::StreamExt;
use poke::{CreateResponse, FunctionCall, FunctionTool, PokeeClient};
use poke_emulator::{Emulator, EmulatorConfig, Fault};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    let pokee = PokeeClient::builder()
        .api_key("pk_demo")
        .base_url(emulator.pokee_api_url())
        .build()?;

    // A skill is a directory with SKILL.md at its root, zipped on the fly.
    let dir = std::env::temp_dir().join(format!("poke-example-skill-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("SKILL.md"), "# Tide tables\nLook up tides.\n")?;
    std::fs::write(dir.join("tides.py"), "print('high tide at 14:02')\n")?;
    let installed = pokee
        .install_skill("tides", dir.as_path(), |sent, total| {
            println!("  uploaded {sent} of {total:?} bytes");
        })
        .await?;
    println!("installed {} with {:?}", installed.name, installed.files);
    for skill in pokee.list_skills().await? {
        println!(
            "  skill {} ({} bytes of SKILL.md)",
            skill.name, skill.skill_md_size
        );
    }
    pokee.delete_skill("tides").await?;
    std::fs::remove_dir_all(&dir)?;

    // A streamed stateless response, cut after 5 events: the client resumes through E20.
    emulator.add_fault(Fault {
        path: "/v1/responses".into(),
        drop_after_events: Some(5),
        ..Fault::default()
    });
    let mut stream = pokee
        .stream_response(&CreateResponse::new("Tell me about tide pools"))
        .await?;
    while let Some(event) = stream.next().await {
        let event = event?;
        if let Some(delta) = event.delta() {
            print!("{delta}");
        }
    }
    println!("\n(stream {:?} finished)", stream.response_id());

    // The function-tool loop with a local function.
    let tide = FunctionTool::new(
        "high_tide",
        json!({"type": "object", "properties": {"location": {"type": "string"}}}),
    )
    .description("The next high tide at a place");
    let request = CreateResponse::new("When is high tide in Brest? tool=high_tide").tool(tide);
    let run = pokee
        .run_tools(&request, 5, |call: FunctionCall| async move {
            println!("  running {}({})", call.name, call.arguments);
            Ok::<_, std::io::Error>("14:02".to_owned())
        })
        .await?;
    println!(
        "{} (after {} rounds)",
        run.response.output_text(),
        run.rounds
    );
    Ok(())
}
