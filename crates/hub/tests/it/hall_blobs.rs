//! Photos and map chunks cross the hub too: the map a coordinator imported at home reaches
//! phones in a hall without internet, and a photo taken in the hall reaches members at home once
//! the hall is online again.

use porchlight_model::{Category, NewObservation, Point, Role, Timestamp};

use crate::hall_joins::hall;
use crate::lan::{addr, invited, settle};

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([
            u8::try_from(x * 6).unwrap(),
            120,
            u8::try_from(y * 8).unwrap(),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_reaches_the_hall_and_a_hall_photo_reaches_home() {
    let (community, gate, carmen, hub) = hall().await;
    let (vera, _) = invited(&carmen, "Vera", Role::Volunteer).await;

    // At home, Carmen imports the neighbourhood's map: its chunks go to the community server.
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("demo.mbtiles");
    porchlight_core::write_demo_package(&package).unwrap();
    carmen.core.import_map(&package).unwrap();
    settle(&[&carmen.core, &vera.core]).await;
    assert!(vera.core.map_status().unwrap().unwrap().ready);
    // The relay carries the chunks to the hub.
    hub.relay_now().await.unwrap();

    // In the hall, without internet, Victor joins at the hub and gets the whole map from it.
    gate.set_open(false);
    let (victor, _) = invited(&carmen, "Victor", Role::Volunteer).await;
    settle(&[&carmen.core, &victor.core]).await;
    let map = victor.core.map_status().unwrap().unwrap();
    assert!(map.ready, "{map:?}");

    // Victor's patrol photo goes to the hub; Carmen's device, on the hub, learns of it.
    victor
        .core
        .start_patrol("Hall round", Timestamp::now())
        .unwrap();
    let photo = victor.core.add_photo(&png()).unwrap();
    victor
        .core
        .add_observation(&NewObservation {
            at: Timestamp::now(),
            point: Some(Point::new(40.0, -3.0)),
            category: Category::SuspiciousVehicle,
            note: "Van with no plates".into(),
            photos: vec![photo.hash.clone()],
        })
        .unwrap();
    victor.core.end_patrol(Timestamp::now()).unwrap();
    settle(&[&victor.core, &carmen.core]).await;
    settle(&[&victor.core, &carmen.core]).await;

    // Online again: the relay brings Victor in, his patrol, and its photo, to the community
    // server, where Vera's device fetches the photo.
    gate.set_open(true);
    hub.relay_now().await.unwrap();
    vera.core
        .switch_server(&addr(&format!("http://{}", community.addr)))
        .unwrap();
    settle(&[&vera.core]).await;
    assert_eq!(
        vera.core.local_blob(&photo.hash).unwrap().as_deref(),
        victor.core.local_blob(&photo.hash).unwrap().as_deref(),
        "Vera holds the photo taken in the hall"
    );
    assert!(vera.core.local_blob(&photo.hash).unwrap().is_some());

    hub.stop().await.unwrap();
    community.stop().await;
}
